// Compiles a CLIP checkpoint (+ adapters + vocabulary) into a self-describing model bundle: ONNX graphs and a manifest.
import type { Adapters, ClipCheckpoint } from "./checkpoint/clip-checkpoint";
import { resizePositionalEmbedding } from "./checkpoint/resize-pos-embed";
import { buildFewShotHeadGraph } from "./onnx/few-shot-head-graph";
import { buildImageTowerGraph } from "./onnx/image-tower-graph";
import type { QuantScheme } from "./onnx/linear";
import { buildTextTowerGraph } from "./onnx/text-tower-graph";
import { BUNDLE_FORMAT, BUNDLE_VERSION, modelHashOf, sha256Hex, type BundleFileRole, type BundleManifest } from "../engine/runtime/bundle-manifest";

/** File names inside a bundle folder (the graphs refer to their weight files by these names). */
export const BUNDLE_PATHS: Record<BundleFileRole, string> = {
  image: "image.onnx",
  imageWeights: "image.weights",
  text: "text.onnx",
  textWeights: "text.weights",
  fewShotHead: "few-shot-head.onnx",
  vocabulary: "vocabulary.txt.gz",
};

export type QuantOption = "fp32" | "int8" | QuantScheme;

/** The int8 scheme `--quant int8` stands for; chosen by measurement (see README, "Quantization"). */
export const DEFAULT_INT8_SCHEME: QuantScheme = "int8-dynamic";

export interface CompileOptions {
  name: string;
  imageSize?: number;
  layers?: number[];
  fewShotLayers?: number[];
  quant?: QuantOption;
  adapters?: Adapters;
  adapterSource?: string;
  /** gzip of the BPE merges file, stored as is. */
  vocabulary: Uint8Array;
  random?: boolean;
  onProgress?: (message: string) => void;
}

export interface CompiledBundle {
  manifest: BundleManifest;
  files: Record<string, Uint8Array>;
}

export class CompileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

/** Official APRIL-GAN taps: quarter points of the depth (ViT-B: 3 6 9 12, ViT-L: 6 12 18 24). */
export function defaultLayers(depth: number): number[] {
  return [1, 2, 3, 4].map((q) => Math.max(1, Math.round((depth * q) / 4)));
}

export async function compileBundle(ckpt: ClipCheckpoint, o: CompileOptions): Promise<CompiledBundle> {
  const progress = o.onProgress ?? (() => {});
  const v = ckpt.vision;
  const imageSize = o.imageSize ?? v.imageSize;
  if (imageSize % v.patchSize !== 0) {
    throw new CompileError("bad_image_size", `--image-size ${imageSize} is not a multiple of the patch size ${v.patchSize}`);
  }
  const layers = o.layers ?? defaultLayers(v.layers);
  const fewShotLayers = o.fewShotLayers ?? layers;
  for (const l of [...layers, ...fewShotLayers]) {
    if (!Number.isInteger(l) || l < 1 || l > v.layers) {
      throw new CompileError("bad_layers", `layer ${l} is outside 1..${v.layers} (the image tower has ${v.layers} blocks)`);
    }
  }
  if (o.adapters && o.adapters.weights.length !== layers.length) {
    throw new CompileError(
      "adapter_mismatch",
      `the adapter has ${o.adapters.weights.length} layers but ${layers.length} zero-shot layers were asked for (${layers.join(",")})`,
    );
  }
  const quant: QuantScheme = o.quant === "int8" ? DEFAULT_INT8_SCHEME : (o.quant ?? "fp32");
  const grid = imageSize / v.patchSize;
  const checkpointGrid = v.imageSize / v.patchSize;
  const positionalEmbedding = grid === checkpointGrid ? v.positionalEmbedding : resizePositionalEmbedding(v.positionalEmbedding, checkpointGrid, grid);
  if (grid !== checkpointGrid) progress(`resized position embeddings ${checkpointGrid}x${checkpointGrid} -> ${grid}x${grid}`);

  progress(`building image tower (${v.layers} blocks, width ${v.width}, ${quant})`);
  const image = buildImageTowerGraph(ckpt, {
    imageSize,
    positionalEmbedding,
    tappedLayers: [...new Set([...layers, ...fewShotLayers])].sort((a, b) => a - b),
    projectedLayers: layers,
    adapters: o.adapters,
    quant,
    externalDataFile: BUNDLE_PATHS.imageWeights,
  });
  progress(`image tower: ${mb(image.model.length + (image.externalData?.length ?? 0))}`);
  progress(`building text tower (${ckpt.text.layers} blocks, width ${ckpt.text.width}, ${quant})`);
  const text = buildTextTowerGraph(ckpt, quant, BUNDLE_PATHS.textWeights);
  progress(`text tower: ${mb(text.model.length + (text.externalData?.length ?? 0))}`);
  const fewShotHead = buildFewShotHeadGraph(v.width);

  const bytesOf: Record<BundleFileRole, Uint8Array> = {
    image: image.model,
    imageWeights: image.externalData!,
    text: text.model,
    textWeights: text.externalData!,
    fewShotHead,
    vocabulary: o.vocabulary,
  };
  const contents = Object.fromEntries((Object.keys(bytesOf) as BundleFileRole[]).map((r) => [r, { path: BUNDLE_PATHS[r], bytes: bytesOf[r] }])) as Record<
    BundleFileRole,
    { path: string; bytes: Uint8Array }
  >;
  progress("hashing files");
  const files = {} as BundleManifest["files"];
  for (const role of Object.keys(contents) as BundleFileRole[]) {
    const c = contents[role];
    files[role] = { path: c.path, sha256: await sha256Hex(c.bytes), bytes: c.bytes.length };
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    name: o.name,
    random: o.random ?? ckpt.source.layout === "random",
    modelHash: await modelHashOf(files),
    source: { layout: ckpt.source.layout, files: ckpt.source.files, adapter: o.adapterSource ?? (o.adapters ? "given" : "none") },
    architecture: {
      embedDim: ckpt.embedDim,
      activation: ckpt.activation,
      layerNormEps: ckpt.layerNormEps,
      vision: { width: v.width, layers: v.layers, heads: v.heads, patchSize: v.patchSize, checkpointImageSize: v.imageSize },
      text: {
        width: ckpt.text.width,
        layers: ckpt.text.layers,
        heads: ckpt.text.heads,
        vocabSize: ckpt.text.vocabSize,
        contextLength: ckpt.text.contextLength,
      },
    },
    imageSize,
    grid,
    layers: { zeroShot: layers, fewShot: fewShotLayers },
    projection: o.adapters ? "adapter" : "clip-projection",
    mean: ckpt.mean,
    std: ckpt.std,
    quantization: quant,
    files,
    createdBy: "edge-anomaly compiler v1",
  };
  const out: Record<string, Uint8Array> = {};
  for (const c of Object.values(contents)) out[c.path] = c.bytes;
  return { manifest, files: out };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
