// The CLIP text tower as an ONNX graph: token ids [batch, seq] -> L2-normalised text embeddings [batch, embed].
import type { ClipCheckpoint } from "../checkpoint/clip-checkpoint";
import { textGraphNames } from "../../engine/runtime/graph-names";
import { DataType, GraphBuilder, bytesOf, type GraphFiles } from "./graph-builder";
import type { QuantScheme } from "./linear";
import { quantizeRows } from "../token-embedding-table";
import { int64Constant, l2Normalize, layerNorm, residualBlock } from "./transformer-blocks";

/**
 * The sequence axis is dynamic: with a causal mask the row at the EOT position depends only on the rows before
 * it, so callers may trim every sentence to the longest EOT position + 1 and get the same result for less work.
 * `blocks` [from, to) (0-indexed) builds one stage of the tower: the first reads `tokens` and embeds them, a later one
 * reads the residual stream `text_residual_block{from}`; the last pools at the EOT token (so it reads `tokens` too)
 * and projects, an earlier one outputs `text_residual_block{to}`. Default: the whole tower. With `embeddingInput`, the
 * first stage reads the gathered token embeddings `token_embeddings` [batch, seq, width] instead of `tokens` (the table
 * is a bundle file of its own, token-embedding-table.ts) and adds the positions.
 */
export interface TextGraphOptions {
  quant: QuantScheme;
  /** Store large weights in a separate data file of this name (ONNX external data). */
  externalDataFile?: string;
  blocks?: [number, number];
  /** Stage 0 reads the token embedding rows, gathered outside the graph, instead of token ids (staged text towers). */
  embeddingInput?: boolean;
  /** Called with the initializer bytes the graph holds after the embedding and after each block (cost profiling). */
  onBlockBytes?: (afterBlock: number, initializerBytes: number) => void;
}

export function buildTextTowerGraph(ckpt: ClipCheckpoint, o: TextGraphOptions): GraphFiles {
  const { quant, externalDataFile } = o;
  const t = ckpt.text;
  const [from, to] = o.blocks ?? [0, t.layers];
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= t.layers)) {
    throw new Error(`block range [${from}, ${to}) is not inside the text tower's ${t.layers} blocks`);
  }
  const whole = from === 0 && to === t.layers;
  const last = to === t.layers;
  const g = new GraphBuilder(
    whole ? "clip_text_tower" : `clip_text_tower_blocks_${from}_${to}`,
    externalDataFile ? { location: externalDataFile, minBytes: 1024 } : undefined,
  );
  if (o.embeddingInput && from !== 0) throw new Error("embeddingInput is for the first stage of a text tower (blocks from 0)");
  const tokens = (from === 0 && !o.embeddingInput) || last ? g.input(textGraphNames.tokens, DataType.INT64, ["batch", "seq"]) : "";
  let x: string;
  let seq: string;
  if (o.embeddingInput) {
    const rows = g.input(textGraphNames.tokenEmbeddings, DataType.FLOAT, ["batch", "seq", t.width]);
    seq = g.op("Slice", [g.op("Shape", [rows]), int64Constant(g, "one", [1]), int64Constant(g, "two", [2])]);
    x = addPositions(g, ckpt, rows, seq);
  } else if (from === 0) {
    seq = g.op("Slice", [g.op("Shape", [tokens]), int64Constant(g, "one", [1]), int64Constant(g, "two", [2])]);
    x = embedTokens(g, ckpt, quant, tokens, seq);
  } else {
    x = g.input(textGraphNames.residual(from), DataType.FLOAT, ["batch", "seq", t.width]);
    seq = g.op("Slice", [g.op("Shape", [x]), int64Constant(g, "one", [1]), int64Constant(g, "two", [2])]);
  }

  const n = t.contextLength;
  const causal = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) causal[i * n + j] = -Infinity;
  const seqSeq = g.op("Concat", [seq, seq], { axis: 0 });
  const mask = g.op("Slice", [g.floats("causal_mask", [n, n], causal), int64Constant(g, "zeros2", [0, 0]), seqSeq, int64Constant(g, "axes01", [0, 1])]);

  o.onBlockBytes?.(from, g.initializerBytes);
  const block = { width: t.width, heads: t.heads, eps: ckpt.layerNormEps, activation: ckpt.activation, quant, attentionMask: mask };
  for (let i = from; i < to; i++) {
    x = residualBlock(g, x, t.blocks[i]!, `transformer.resblocks.${i}`, block);
    o.onBlockBytes?.(i + 1, g.initializerBytes);
  }
  if (!last) {
    g.node("Identity", [x], {}, [textGraphNames.residual(to)]);
    g.output(textGraphNames.residual(to), DataType.FLOAT, ["batch", "seq", t.width]);
  } else {
    x = layerNorm(g, x, t.lnFinal, "ln_final", ckpt.layerNormEps);
    // The EOT token has the largest id, so its position is the argmax of the ids (as open_clip does).
    const eot = g.op("ArgMax", [g.op("Cast", [tokens], { to: DataType.INT32 })], { axis: 1, keepdims: 1 });
    const pooled = g.op("GatherND", [x, eot], { batch_dims: 1 });
    const projected = g.op("MatMul", [pooled, g.floats("text_projection", t.textProjection.shape, t.textProjection.data)]);
    g.node("Identity", [l2Normalize(g, projected)], {}, [textGraphNames.features]);
    g.output(textGraphNames.features, DataType.FLOAT, ["batch", ckpt.embedDim]);
  }
  const model = g.build();
  return externalDataFile ? { model, externalData: g.buildExternalData() } : { model };
}

/** Token embedding (int8 rows for quantized schemes) plus positions, for the first `seq` positions. */
function embedTokens(g: GraphBuilder, ckpt: ClipCheckpoint, quant: QuantScheme, tokens: string, seq: string): string {
  const t = ckpt.text;
  let x: string;
  if (quant === "fp32") {
    x = g.op("Gather", [g.floats("token_embedding.weight", t.tokenEmbedding.shape, t.tokenEmbedding.data), tokens], { axis: 0 });
  } else {
    // Per-row int8: the vocabulary table is the largest text tensor and is only ever gathered from.
    const { q, scales } = quantizeRows(t.tokenEmbedding.data, t.vocabSize, t.width);
    const rows = g.op("Gather", [g.initializer("token_embedding.weight_q", DataType.INT8, [t.vocabSize, t.width], bytesOf(q)), tokens], { axis: 0 });
    const rowScales = g.op("Gather", [g.floats("token_embedding.row_scale", [t.vocabSize, 1], scales), tokens], { axis: 0 });
    x = g.op("Mul", [g.op("Cast", [rows], { to: DataType.FLOAT }), rowScales]);
  }
  return addPositions(g, ckpt, x, seq);
}

/** x + the first `seq` position embeddings. */
function addPositions(g: GraphBuilder, ckpt: ClipCheckpoint, x: string, seq: string): string {
  const t = ckpt.text;
  const pos = g.floats("positional_embedding", t.positionalEmbedding.shape, t.positionalEmbedding.data);
  return g.op("Add", [x, g.op("Slice", [pos, int64Constant(g, "zero", [0]), seq, int64Constant(g, "zero", [0])])]);
}
