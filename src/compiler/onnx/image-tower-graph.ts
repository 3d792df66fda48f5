// The CLIP ViT image tower as an ONNX graph: image embedding, tapped residual tokens and adapter projections.
import type { Adapters, ClipCheckpoint, Tensor } from "../checkpoint/clip-checkpoint";
import { imageGraphNames as names } from "../../engine/runtime/graph-names";
import { DataType, GraphBuilder, type GraphFiles } from "./graph-builder";
import { linear, type QuantScheme } from "./linear";
import { int64Constant, l2Normalize, layerNorm, residualBlock } from "./transformer-blocks";

export interface ImageGraphOptions {
  imageSize: number;
  /** Positional embedding already resized to the serving grid: [1 + grid*grid, width]. */
  positionalEmbedding: Tensor;
  /** 1-indexed blocks whose output tokens are exposed as `tokens_layer{L}`. */
  tappedLayers: number[];
  /** 1-indexed blocks whose patch tokens are projected and exposed as `projected_layer{L}` (the zero-shot layers). */
  projectedLayers: number[];
  /** APRIL-GAN adapters, one per projected layer in the same order; without them ln_post + proj is reused. */
  adapters?: Adapters;
  quant: QuantScheme;
  /** Store large weights in a separate data file of this name (ONNX external data). */
  externalDataFile?: string;
  /**
   * Build only blocks [from, to) (0-indexed), a stage of the tower: a first stage reads `pixels`, a later one the
   * residual stream `residual_block{from}`; a last stage pools and projects, an earlier one outputs `residual_block{to}`.
   * Default: the whole tower.
   */
  blocks?: [number, number];
  /** Attention heads computed at a time (BlockOptions.headsPerChunk); default all. */
  headsPerChunk?: number;
  /** Query rows per attention chunk (BlockOptions.attentionRowChunk); default all. */
  attentionRows?: number;
  /** Tokens per MLP row chunk (BlockOptions.mlpRowChunk); default all. */
  mlpRows?: number;
  /** Called with the initializer bytes the graph holds after the embedding and after each block (cost profiling). */
  onBlockBytes?: (afterBlock: number, initializerBytes: number) => void;
}

export function buildImageTowerGraph(ckpt: ClipCheckpoint, o: ImageGraphOptions): GraphFiles {
  const v = ckpt.vision;
  const grid = o.imageSize / v.patchSize;
  if (!Number.isInteger(grid)) throw new Error(`image size ${o.imageSize} is not a multiple of patch size ${v.patchSize}`);
  const tokens = 1 + grid * grid;
  const [from, to] = o.blocks ?? [0, v.layers];
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= v.layers)) {
    throw new Error(`block range [${from}, ${to}) is not inside the tower's ${v.layers} blocks`);
  }
  const whole = from === 0 && to === v.layers;
  const last = to === v.layers;
  const g = new GraphBuilder(
    whole ? "clip_image_tower" : `clip_image_tower_blocks_${from}_${to}`,
    o.externalDataFile ? { location: o.externalDataFile, minBytes: 1024 } : undefined,
  );
  const residualDims = ["batch", tokens, v.width];
  let x = from === 0 ? embedPatches(g, ckpt, o, grid) : g.input(names.residual(from), DataType.FLOAT, residualDims);
  o.onBlockBytes?.(from, g.initializerBytes);

  const block = {
    width: v.width,
    heads: v.heads,
    eps: ckpt.layerNormEps,
    activation: ckpt.activation,
    quant: o.quant,
    headsPerChunk: o.headsPerChunk,
    attentionRowChunk: o.attentionRows ? { rows: o.attentionRows, seq: tokens } : undefined,
    mlpRowChunk: o.mlpRows ? { rows: o.mlpRows, seq: tokens } : undefined,
  };
  const projectsHere = o.projectedLayers.some((l) => l > from && l <= to);
  const visualProj = last || (projectsHere && !o.adapters) ? g.floats("visual.proj", v.proj.shape, v.proj.data) : "";
  for (let i = from; i < to; i++) {
    const layer = i + 1;
    x = residualBlock(g, x, v.blocks[i]!, `visual.transformer.resblocks.${i}`, block);
    if (o.tappedLayers.includes(layer)) {
      g.node("Identity", [x], {}, [names.tokens(layer)]);
      g.output(names.tokens(layer), DataType.FLOAT, ["batch", tokens, v.width]);
    }
    const a = o.projectedLayers.indexOf(layer);
    if (a >= 0) {
      const patchTokens = g.op("Slice", [x, int64Constant(g, "one", [1]), int64Constant(g, "tokens_end", [tokens]), int64Constant(g, "one", [1])]);
      // Projections stay fp32: they are small and their output feeds a softmax scaled by 100.
      const p = o.adapters
        ? linear(g, patchTokens, { weight: o.adapters.weights[a]!, bias: o.adapters.biases[a]! }, `adapter.fc.${a}`, "fp32")
        : g.op("MatMul", [layerNorm(g, patchTokens, v.lnPost, `projection.ln_post.${layer}`, ckpt.layerNormEps), visualProj]);
      g.node("Div", [p, g.op("ReduceL2", [p], { axes: [-1], keepdims: 1 })], {}, [names.projected(layer)]);
      g.output(names.projected(layer), DataType.FLOAT, ["batch", grid * grid, ckpt.embedDim]);
    }
    o.onBlockBytes?.(layer, g.initializerBytes);
  }

  if (!last) {
    g.node("Identity", [x], {}, [names.residual(to)]);
    g.output(names.residual(to), DataType.FLOAT, residualDims);
    const model = g.build();
    return o.externalDataFile ? { model, externalData: g.buildExternalData() } : { model };
  }
  const clsOut = g.op("Gather", [x, g.initializer("cls_index", DataType.INT64, [], new Uint8Array(8))], { axis: 1 });
  const pooled = layerNorm(g, clsOut, v.lnPost, "visual.ln_post", ckpt.layerNormEps);
  const embedded = g.op("MatMul", [pooled, visualProj]);
  g.node("Identity", [l2Normalize(g, embedded)], {}, [names.features]);
  g.output(names.features, DataType.FLOAT, ["batch", ckpt.embedDim]);
  const model = g.build();
  return o.externalDataFile ? { model, externalData: g.buildExternalData() } : { model };
}

/** Patch embedding, class token, positions and ln_pre: pixels [batch,3,S,S] -> residual stream [batch,1+G²,W]. */
function embedPatches(g: GraphBuilder, ckpt: ClipCheckpoint, o: ImageGraphOptions, grid: number): string {
  const v = ckpt.vision;
  const tokens = 1 + grid * grid;
  const pixels = g.input(names.pixels, DataType.FLOAT, ["batch", 3, o.imageSize, o.imageSize]);
  const conv = g.op("Conv", [pixels, g.floats("visual.conv1.weight", v.convWeight.shape, v.convWeight.data)], {
    kernel_shape: [v.patchSize, v.patchSize],
    strides: [v.patchSize, v.patchSize],
  });
  const patches = g.op("Transpose", [g.op("Reshape", [conv, int64Constant(g, "patch_shape", [0, v.width, grid * grid])])], { perm: [0, 2, 1] });
  const batchDim = g.op("Slice", [g.op("Shape", [pixels]), int64Constant(g, "zero", [0]), int64Constant(g, "one", [1])]);
  const clsShape = g.op("Concat", [batchDim, int64Constant(g, "cls_tail", [1, v.width])], { axis: 0 });
  const cls = g.op("Expand", [g.floats("visual.class_embedding", [1, 1, v.width], v.classEmbedding.data), clsShape]);
  const x = g.op("Add", [g.op("Concat", [cls, patches], { axis: 1 }), g.floats("visual.positional_embedding", [tokens, v.width], o.positionalEmbedding.data)]);
  return layerNorm(g, x, v.lnPre, "visual.ln_pre", ckpt.layerNormEps);
}
