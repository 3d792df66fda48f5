// Compiles a CLIP checkpoint (+ adapters + vocabulary) into a self-describing model bundle: ONNX graphs and a manifest.
import type { Adapters, ClipCheckpoint } from "./checkpoint/clip-checkpoint";
import { resizePositionalEmbedding } from "./checkpoint/resize-pos-embed";
import { buildFewShotHeadGraph } from "./onnx/few-shot-head-graph";
import { buildImageTowerGraph, type ImageGraphOptions } from "./onnx/image-tower-graph";
import type { QuantScheme } from "./onnx/linear";
import { buildTextTowerGraph } from "./onnx/text-tower-graph";
import { activationChunks, evenStages, PLAN_SHARE, planStages, predictedPeakBytes, type StageShape, type TowerWeights } from "./stage-plan";

const MIB = 2 ** 20;
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  modelHashOf,
  sha256Hex,
  type BundleFile,
  type BundleFileRole,
  type BundleManifest,
  type BundleStage,
  type StagedBundleManifest,
} from "../engine/runtime/bundle-manifest";
import { imageGraphNames, TEXT_STAGE_BATCH_SIZE, textGraphNames } from "../engine/runtime/graph-names";
import type { GraphFiles } from "./onnx/graph-builder";
import { tokenEmbeddingGatherBytes } from "../engine/runtime/token-embedding-format";
import type { TextEmbeddingEntry } from "../engine/runtime/bundle-manifest";
import { tokenEmbeddingTable } from "./token-embedding-table";

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

export interface CompiledStagedBundle {
  manifest: StagedBundleManifest;
  files: Record<string, Uint8Array>;
}

export interface StageOptions {
  /** Force this many image-tower stages (1 = the single-graph bundle). */
  stages?: number;
  /** Plan the fewest stages whose predicted isolate peaks fit this budget (README, "Stages"). */
  isolateBudgetMb?: number;
  /** Force the text tower into this many stages (with a staged image tower); default: planned from the budget. */
  textStages?: number;
}

/** File names of image-tower stage `i` in a staged bundle. */
export function stagePaths(i: number): { graph: string; weights: string } {
  return { graph: `image-stage${i}.onnx`, weights: `image-stage${i}.weights` };
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

interface Prepared {
  quant: QuantScheme;
  imageSize: number;
  grid: number;
  layers: number[];
  fewShotLayers: number[];
  imageOptions: ImageGraphOptions;
}

function prepare(ckpt: ClipCheckpoint, o: CompileOptions): Prepared {
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
  const chunks = activationChunks(1 + grid * grid, v.heads, v.blocks[0]!.fcWeight.shape[0]!);
  if (chunks.headsPerChunk < v.heads || chunks.attentionRows < 1 + grid * grid || chunks.mlpRows < 1 + grid * grid) {
    progress(
      `attention in chunks of ${chunks.headsPerChunk} of ${v.heads} heads x ${chunks.attentionRows} of ${1 + grid * grid} query rows, MLP in chunks of ${chunks.mlpRows} of ${1 + grid * grid} tokens`,
    );
  }
  const imageOptions: ImageGraphOptions = {
    imageSize,
    headsPerChunk: chunks.headsPerChunk,
    attentionRows: chunks.attentionRows,
    mlpRows: chunks.mlpRows,
    positionalEmbedding,
    tappedLayers: [...new Set([...layers, ...fewShotLayers])].sort((a, b) => a - b),
    projectedLayers: layers,
    adapters: o.adapters,
    quant,
    externalDataFile: BUNDLE_PATHS.imageWeights,
  };
  return { quant, imageSize, grid, layers, fewShotLayers, imageOptions };
}

export async function compileBundle(ckpt: ClipCheckpoint, o: CompileOptions): Promise<CompiledBundle> {
  const p = prepare(ckpt, o);
  const v = ckpt.vision;
  (o.onProgress ?? (() => {}))(`building image tower (${v.layers} blocks, width ${v.width}, ${p.quant})`);
  const image = buildImageTowerGraph(ckpt, p.imageOptions);
  (o.onProgress ?? (() => {}))(`image tower: ${mb(graphSize(image))}`);
  const { manifest, files } = await assemble(ckpt, o, p, { image: image.model, imageWeights: image.externalData! });
  return { manifest: manifest as BundleManifest, files };
}

/**
 * Compiles with the image tower in stages when asked (`stages`, or `isolateBudgetMb` planning more than one); one
 * stage is exactly the single-graph bundle of compileBundle.
 */
export async function compileStagedBundle(ckpt: ClipCheckpoint, o: CompileOptions & StageOptions): Promise<CompiledBundle | CompiledStagedBundle> {
  const progress = o.onProgress ?? (() => {});
  if (o.stages === undefined && o.isolateBudgetMb === undefined) return compileBundle(ckpt, o);
  if (o.stages !== undefined && o.isolateBudgetMb !== undefined) throw new CompileError("bad_stages", "give --stages or --isolate-budget-mb, not both");
  const p = prepare(ckpt, o);
  const v = ckpt.vision;
  const shape = stageShape(ckpt, p);
  let ranges: [number, number][];
  if (o.stages !== undefined) {
    if (!(Number.isInteger(o.stages) && o.stages >= 1 && o.stages <= v.layers)) {
      throw new CompileError("bad_stages", `--stages must be 1..${v.layers} (at most one per block), got ${o.stages}`);
    }
    ranges = evenStages(v.layers, o.stages);
  } else {
    const budget = o.isolateBudgetMb!;
    if (!(budget > 0)) throw new CompileError("bad_stages", `--isolate-budget-mb must be positive, got ${budget}`);
    progress(`profiling image tower weights (${v.layers} blocks, ${p.quant})`);
    const plan = planStages(shape, towerWeights(ckpt, p), budget * MIB);
    if (!plan)
      throw new CompileError(
        "budget_too_small",
        `one image-tower block alone is predicted above ${budget} MB x ${PLAN_SHARE} (the planned share): no split fits`,
      );
    ranges = plan;
    progress(`isolate budget ${budget} MB -> ${plan.length} stage(s): ${plan.map(([a, b]) => `[${a}, ${b})`).join(" ")}`);
  }
  if (ranges.length === 1) return compileBundle(ckpt, o);

  const stageFiles: { graph: Uint8Array; weights: Uint8Array; blocks: [number, number] }[] = [];
  for (const [i, blocks] of ranges.entries()) {
    progress(`building image stage ${i} (blocks [${blocks[0]}, ${blocks[1]}), ${p.quant})`);
    const g = buildImageTowerGraph(ckpt, { ...p.imageOptions, blocks, externalDataFile: stagePaths(i).weights });
    stageFiles.push({ graph: g.model, weights: g.externalData!, blocks });
  }
  const stages: BundleStage[] = [];
  for (const [i, s] of stageFiles.entries()) {
    const entry = async (path: string, bytes: Uint8Array): Promise<BundleFile> => ({ path, sha256: await sha256Hex(bytes), bytes: bytes.length });
    const paths = stagePaths(i);
    const peak = predictedPeakBytes(shape, s.blocks, s.graph.length + s.weights.length);
    stages.push({
      index: i,
      graph: await entry(paths.graph, s.graph),
      weights: await entry(paths.weights, s.weights),
      blocks: s.blocks,
      ...stageInterface(p, s.blocks, v.layers),
      predictedPeakMb: Math.round((peak / MIB) * 10) / 10,
    });
    progress(`image stage ${i}: ${mb(s.graph.length + s.weights.length)}, predicted peak ${stages[i]!.predictedPeakMb} MB`);
  }
  const text = o.textStages !== undefined || o.isolateBudgetMb !== undefined ? await textStages(ckpt, p, o, progress) : undefined;
  const { manifest, files } = await assemble(ckpt, o, p, undefined, stages, text?.stages, text?.embedding);
  for (const [i, s] of stageFiles.entries()) {
    files[stagePaths(i).graph] = s.graph;
    files[stagePaths(i).weights] = s.weights;
  }
  Object.assign(files, text?.files);
  return { manifest: manifest as StagedBundleManifest, files };
}

/** File names of text-tower stage `i`. */
export function textStagePaths(i: number): { graph: string; weights: string } {
  return { graph: `text-stage${i}.onnx`, weights: `text-stage${i}.weights` };
}

/** The token embedding table of a text tower in stages (text stage 0 reads its rows by range). */
export const TEXT_EMBEDDING_PATH = "text-embedding.bin";

/**
 * The text tower in the fewest stages that fit the budget, for a batch of TEXT_STAGE_BATCH_SIZE prompt sentences at the full
 * context length; undefined when the whole tower fits one isolate (it stays `text.onnx`). Stage 0 takes the token
 * embedding rows as input: the table is its own file (TEXT_EMBEDDING_PATH), gathered by range reads, not held in ORT.
 */
async function textStages(
  ckpt: ClipCheckpoint,
  p: Prepared,
  o: StageOptions,
  progress: (m: string) => void,
): Promise<{ stages: BundleStage[]; files: Record<string, Uint8Array>; embedding: TextEmbeddingEntry } | undefined> {
  const t = ckpt.text;
  if (o.textStages !== undefined && !(Number.isInteger(o.textStages) && o.textStages >= 1 && o.textStages <= t.layers)) {
    throw new CompileError("bad_stages", `--text-stages must be 1..${t.layers} (at most one per block), got ${o.textStages}`);
  }
  const shape: StageShape = {
    quant: p.quant,
    batch: TEXT_STAGE_BATCH_SIZE,
    tokens: t.contextLength,
    chunked: false,
    width: t.width,
    mlpWidth: t.blocks[0]!.fcWeight.shape[0]!,
    heads: t.heads,
    grid: 0,
    embedDim: ckpt.embedDim,
    tappedLayers: [],
    projectedLayers: [],
  };
  const after: number[] = [];
  const whole = buildTextTowerGraph(ckpt, { quant: p.quant, embeddingInput: true, onBlockBytes: (block, bytes) => (after[block] = bytes) });
  const table = tokenEmbeddingTable(t.tokenEmbedding.data, t.vocabSize, t.width, p.quant);
  const weights: TowerWeights = {
    embedding: after[0]!,
    embeddingJs: tokenEmbeddingGatherBytes(table.encoding, table.rows, table.width),
    blocks: Array.from({ length: t.layers }, (_, i) => after[i + 1]! - after[i]!),
    head: Math.max(0, graphSize(whole) - after[t.layers]!),
  };
  let plan: [number, number][] | null;
  if (o.textStages !== undefined) plan = evenStages(t.layers, o.textStages);
  else {
    const budgetMb = o.isolateBudgetMb!;
    plan = planStages(shape, weights, budgetMb * MIB);
    if (!plan)
      throw new CompileError(
        "budget_too_small",
        `one text-tower block alone is predicted above ${budgetMb} MB x ${PLAN_SHARE} (the planned share): no split fits`,
      );
    progress(`isolate budget ${budgetMb} MB -> text tower in ${plan.length} stage(s): ${plan.map(([a, b]) => `[${a}, ${b})`).join(" ")}`);
  }
  if (plan.length === 1) return undefined;
  const stages: BundleStage[] = [];
  const files: Record<string, Uint8Array> = {};
  for (const [i, blocks] of plan.entries()) {
    const paths = textStagePaths(i);
    const [from, to] = blocks;
    const g = buildTextTowerGraph(ckpt, { quant: p.quant, externalDataFile: paths.weights, blocks, embeddingInput: from === 0 });
    files[paths.graph] = g.model;
    files[paths.weights] = g.externalData!;
    const peak = predictedPeakBytes(shape, blocks, graphSize(g), from === 0 ? weights.embeddingJs : 0);
    stages.push({
      index: i,
      graph: { path: paths.graph, sha256: await sha256Hex(g.model), bytes: g.model.length },
      weights: { path: paths.weights, sha256: await sha256Hex(g.externalData!), bytes: g.externalData!.length },
      blocks,
      inputs: [
        ...(from === 0 ? [textGraphNames.tokenEmbeddings] : []),
        ...(to === t.layers ? [textGraphNames.tokens] : []),
        ...(from > 0 ? [textGraphNames.residual(from)] : []),
      ],
      outputs: [to === t.layers ? textGraphNames.features : textGraphNames.residual(to)],
      predictedPeakMb: Math.round((peak / MIB) * 10) / 10,
    });
    progress(`text stage ${i} (blocks [${from}, ${to})): ${mb(graphSize(g))}, predicted peak ${stages[i]!.predictedPeakMb} MB`);
  }
  files[TEXT_EMBEDDING_PATH] = table.bytes;
  const embedding: TextEmbeddingEntry = {
    file: { path: TEXT_EMBEDDING_PATH, sha256: await sha256Hex(table.bytes), bytes: table.bytes.length },
    encoding: table.encoding,
    rows: table.rows,
    width: table.width,
  };
  progress(`token embedding table (${table.encoding}): ${mb(table.bytes.length)}, read by text stage 0 in row ranges`);
  return { stages, files, embedding };
}

/** Graph inputs and outputs of a stage covering blocks [from, to). */
function stageInterface(p: Prepared, [from, to]: [number, number], layers: number): { inputs: string[]; outputs: string[] } {
  const outputs: string[] = [];
  for (let layer = from + 1; layer <= to; layer++) {
    if (p.imageOptions.tappedLayers.includes(layer)) outputs.push(imageGraphNames.tokens(layer));
    if (p.layers.includes(layer)) outputs.push(imageGraphNames.projected(layer));
  }
  outputs.push(to === layers ? imageGraphNames.features : imageGraphNames.residual(to));
  return { inputs: [from === 0 ? imageGraphNames.pixels : imageGraphNames.residual(from)], outputs };
}

function stageShape(ckpt: ClipCheckpoint, p: Prepared): StageShape {
  const v = ckpt.vision;
  return {
    quant: p.quant,
    tokens: 1 + p.grid * p.grid,
    width: v.width,
    mlpWidth: v.blocks[0]!.fcWeight.shape[0]!,
    heads: v.heads,
    grid: p.grid,
    embedDim: ckpt.embedDim,
    tappedLayers: p.imageOptions.tappedLayers,
    projectedLayers: p.layers,
  };
}

/** Weight bytes per part of the tower, measured by building the whole graph once. */
function towerWeights(ckpt: ClipCheckpoint, p: Prepared): TowerWeights {
  const after: number[] = [];
  const whole = buildImageTowerGraph(ckpt, { ...p.imageOptions, onBlockBytes: (block, bytes) => (after[block] = bytes) });
  const layers = ckpt.vision.layers;
  return {
    embedding: after[0]!,
    blocks: Array.from({ length: layers }, (_, i) => after[i + 1]! - after[i]!),
    head: Math.max(0, graphSize(whole) - after[layers]!),
  };
}

async function assemble(
  ckpt: ClipCheckpoint,
  o: CompileOptions,
  p: Prepared,
  image: { image: Uint8Array; imageWeights: Uint8Array } | undefined,
  stages?: BundleStage[],
  textStages?: BundleStage[],
  textEmbedding?: TextEmbeddingEntry,
): Promise<{ manifest: BundleManifest | StagedBundleManifest; files: Record<string, Uint8Array> }> {
  const progress = o.onProgress ?? (() => {});
  const v = ckpt.vision;
  const quant = p.quant;
  let text: GraphFiles | undefined;
  if (!textStages) {
    progress(`building text tower (${ckpt.text.layers} blocks, width ${ckpt.text.width}, ${quant})`);
    text = buildTextTowerGraph(ckpt, { quant, externalDataFile: BUNDLE_PATHS.textWeights });
    progress(`text tower: ${mb(graphSize(text))}`);
  }
  const fewShotHead = buildFewShotHeadGraph(v.width);

  const bytesOf: Partial<Record<BundleFileRole, Uint8Array>> = {
    ...image,
    ...(text ? { text: text.model, textWeights: text.externalData! } : {}),
    fewShotHead,
    vocabulary: o.vocabulary,
  };
  const roles = (Object.keys(BUNDLE_PATHS) as BundleFileRole[]).filter((r) => bytesOf[r]);
  progress("hashing files");
  const files: Partial<Record<BundleFileRole, BundleFile>> = {};
  const out: Record<string, Uint8Array> = {};
  for (const role of roles) {
    const bytes = bytesOf[role]!;
    files[role] = { path: BUNDLE_PATHS[role], sha256: await sha256Hex(bytes), bytes: bytes.length };
    out[BUNDLE_PATHS[role]] = bytes;
  }
  const hashed: Record<string, BundleFile> = { ...(files as Record<string, BundleFile>) };
  for (const s of stages ?? []) {
    hashed[`imageStage${s.index}`] = s.graph;
    hashed[`imageStage${s.index}Weights`] = s.weights;
  }
  for (const s of textStages ?? []) {
    hashed[`textStage${s.index}`] = s.graph;
    hashed[`textStage${s.index}Weights`] = s.weights;
  }
  if (textEmbedding) hashed.textEmbedding = textEmbedding.file;
  const manifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    name: o.name,
    random: o.random ?? ckpt.source.layout === "random",
    modelHash: await modelHashOf(hashed),
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
    imageSize: p.imageSize,
    grid: p.grid,
    layers: { zeroShot: p.layers, fewShot: p.fewShotLayers },
    projection: o.adapters ? ("adapter" as const) : ("clip-projection" as const),
    mean: ckpt.mean,
    std: ckpt.std,
    quantization: quant,
    files,
    ...(stages ? { stages } : {}),
    ...(textStages ? { textStages } : {}),
    ...(textEmbedding ? { textEmbedding } : {}),
    createdBy: "edge-anomaly compiler v1",
  };
  return { manifest: manifest as BundleManifest | StagedBundleManifest, files: out };
}

function graphSize(g: GraphFiles): number {
  return g.model.length + (g.externalData?.length ?? 0);
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}
