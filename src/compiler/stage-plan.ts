// Splits the image tower into stages (contiguous block ranges) and predicts each stage's isolate peak from a cost model.
import type { QuantScheme } from "./onnx/linear";

/**
 * ORT's wasm heap per byte of graph + weights, measured on ViT-B-16 (README, "Quantization"): fp32 1.06x, int8
 * 1.24x. The int8 factor is used for every quantized scheme (the block schemes were not measured per byte).
 */
export const HEAP_FACTOR = { fp32: 1.06, quantized: 1.24 } as const;
/** ORT's wasm heap with the tiny demo model loaded (measured, README "Service"): its code, stack and runtime state. */
export const ORT_BASE_BYTES = 16e6;
/** The Worker's JS heap (14-18 MB measured in the soak, README "Reliability"). */
export const JS_BASE_BYTES = 16e6;
/**
 * ORT's wasm memory grows to at least 1.2x its previous size (emscripten's growth step in onnxruntime-web's glue) and
 * never shrinks, so up to 20% more than the bytes ORT asks for can be committed.
 */
export const WASM_GROWTH = 1.2;

/**
 * The most bytes of attention scores + softmax, or of MLP hidden activations, a block's graph makes ORT hold at once;
 * beyond it the block computes attention a few heads at a time and the MLP a few rows at a time (transformer-blocks.ts).
 * ViT-B at 224 stays below it (its graph is unchanged); ViT-L-14-336 at 518 needs 240 MB of scores unchunked.
 */
export const ACTIVATION_CHUNK_BYTES = 8e6;

export interface ActivationChunks {
  headsPerChunk: number;
  /** Tokens per MLP row chunk (equal chunks; = tokens when the MLP is not split). */
  mlpRows: number;
}

export function activationChunks(tokens: number, heads: number, mlpWidth: number): ActivationChunks {
  const headsPerChunk = Math.max(1, Math.min(heads, Math.floor(ACTIVATION_CHUNK_BYTES / (2 * tokens * tokens * 4))));
  const maxRows = Math.max(1, Math.floor(ACTIVATION_CHUNK_BYTES / (mlpWidth * 4)));
  return { headsPerChunk, mlpRows: Math.ceil(tokens / Math.ceil(tokens / maxRows)) };
}

export interface StageShape {
  quant: QuantScheme;
  /** Sequences per run: 1 image; a batch of prompt sentences for the text tower. */
  batch?: number;
  /** Tokens per sequence: 1 + G² at the served size; the context length for text. */
  tokens: number;
  /** Whether blocks are compiled in activation chunks (the image tower; the text tower's sequence is dynamic). */
  chunked?: boolean;
  width: number;
  mlpWidth: number;
  heads: number;
  grid: number;
  embedDim: number;
  tappedLayers: number[];
  projectedLayers: number[];
}

/** Weight bytes of the tower: the embedding (stage 0), each block (with its layer's projection), the pooled head. */
export interface TowerWeights {
  embedding: number;
  blocks: number[];
  head: number;
}

/**
 * Activations of one forward pass at batch 1 through a stage (float32): the residual stream in and out, q/k/v,
 * attention scores and their softmax and the MLP's hidden layer before and after the activation (for the chunk of
 * heads / rows computed at once, `activationChunks`), plus the tapped
 * tokens and projections it outputs, which stay alive until the run returns.
 */
export function activationBytes(s: StageShape, blocks: [number, number]): number {
  const [from, to] = blocks;
  const inRange = (l: number) => l > from && l <= to;
  const c = s.chunked === false ? { headsPerChunk: s.heads, mlpRows: s.tokens } : activationChunks(s.tokens, s.heads, s.mlpWidth);
  const perBlock = 5 * s.tokens * s.width + 2 * c.headsPerChunk * s.tokens * s.tokens + 2 * c.mlpRows * s.mlpWidth;
  const outputs = s.tappedLayers.filter(inRange).length * s.tokens * s.width + s.projectedLayers.filter(inRange).length * s.grid * s.grid * s.embedDim;
  return 4 * ((s.batch ?? 1) * perBlock + outputs);
}

/**
 * Predicted isolate peak of a stage: the JS heap plus the larger of two moments. Loading: the weights as read from R2
 * (held in JS until ORT has them) while ORT's heap takes them (x the heap factor). Running: ORT's heap with the weights
 * and one forward pass's activations, x the growth step. The runtime drops its JS copy once the session exists.
 */
export function predictedPeakBytes(s: StageShape, blocks: [number, number], weightBytes: number): number {
  const factor = s.quant === "fp32" ? HEAP_FACTOR.fp32 : HEAP_FACTOR.quantized;
  const ortWeights = ORT_BASE_BYTES + weightBytes * factor;
  const loading = weightBytes + ortWeights;
  const running = WASM_GROWTH * (ortWeights + activationBytes(s, blocks));
  return JS_BASE_BYTES + Math.max(loading, running);
}

export function stageWeightBytes(w: TowerWeights, blocks: [number, number]): number {
  const [from, to] = blocks;
  let sum = (from === 0 ? w.embedding : 0) + (to === w.blocks.length ? w.head : 0);
  for (let i = from; i < to; i++) sum += w.blocks[i]!;
  return sum;
}

/** K contiguous block ranges of near-equal length. */
export function evenStages(layers: number, k: number): [number, number][] {
  if (!(Number.isInteger(k) && k >= 1 && k <= layers)) throw new RangeError(`stages must be 1..${layers} (one per block at most), got ${k}`);
  return Array.from({ length: k }, (_, i) => [Math.round((layers * i) / k), Math.round((layers * (i + 1)) / k)] as [number, number]);
}

/**
 * The fewest stages whose predicted peaks all fit the budget: each stage takes blocks while the next one still fits
 * (the cost only grows with a stage's blocks, so packing greedily is optimal). Null when one block alone does not fit.
 */
export function planStages(s: StageShape, w: TowerWeights, budgetBytes: number): [number, number][] | null {
  const layers = w.blocks.length;
  const fits = (r: [number, number]) => predictedPeakBytes(s, r, stageWeightBytes(w, r)) <= budgetBytes;
  const stages: [number, number][] = [];
  let from = 0;
  while (from < layers) {
    let to = from + 1;
    if (!fits([from, to])) return null;
    while (to < layers && fits([from, to + 1])) to++;
    stages.push([from, to]);
    from = to;
  }
  return stages;
}
