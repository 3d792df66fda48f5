// Splits the image tower into stages (contiguous block ranges) and predicts each stage's isolate peak from a cost model.
import type { QuantScheme } from "./onnx/linear";

/**
 * Calibration, 2026-11-30: ORT's wasm memory after a stage's session is created and after one run, measured in Node by
 * `npx tsx scripts/stage-heap.ts --model DIR --stage I` (onnxruntime-web, the same wasm build as the Workers; its
 * figures equal workerd's inspector readings of the same stages), on ViT-B-16 int8 stages of 2 and 5 blocks, ViT-B-16
 * fp32 stages of 1 block, a ViT-B-16 int8 text stage of 5 blocks and ViT-L-14-336 int8 stages at 518 of 1 and 2
 * chunked blocks (README, "Stages"). All sizes are MiB (2^20 bytes), like the bench's isolate figures.
 */
const MIB = 2 ** 20;
/** ORT's wasm memory with no weights: its code, stack and runtime state (13-14 MB measured). */
export const ORT_BASE_BYTES = 13 * MIB;
/** A stage Worker's JS heap (7.3-7.6 MiB measured in every stage isolate). */
export const JS_BASE_BYTES = 8 * MIB;
/**
 * ORT's wasm memory grows to at least 1.2x its previous size (emscripten's growth step in onnxruntime-web's glue) and
 * never shrinks, so up to 20% more than the bytes ORT asks for can be committed.
 */
export const WASM_GROWTH = 1.2;
/**
 * The share of `activationBytes` ORT's heap holds at its peak during a run (it frees each node's inputs once used):
 * 36 of 58 MB for one ViT-L-14-336 block at 518, 6-7 of 11.6 MB for ViT-B-16 blocks at 224.
 */
export const ACTIVATION_SHARE = 0.62;
/**
 * What each further block of a stage adds to its activation peak, as a share of one block's: the heap fragments
 * between blocks (many differently sized buffers of several MB). Measured: a second ViT-L-14-336 block at 518 (chunked)
 * took 36 -> 66 MB; ViT-B-16 int8 at 224 (not chunked) 6 MB for 2 blocks, 10 MB for 5.
 */
export const EXTRA_BLOCK_SHARE = { chunked: 0.85, whole: 0.2 } as const;
/**
 * The share of an isolate's memory the planner fills: 100 MB of a 128 MB Workers isolate (issue 11's goal); the rest
 * is left to request buffers the collector frees late (a stage's input, outputs and RPC copies; the front's bodies) and
 * to the model's error. `--isolate-budget-mb N` is the isolate's limit; each stage is planned to N x PLAN_SHARE.
 */
export const PLAN_SHARE = 100 / 128;

/**
 * The most bytes of attention scores + softmax, or of MLP hidden activations before + after the activation function, a
 * block's graph makes ORT hold at once; beyond it the block computes attention a few heads (and, when one head is still
 * over it, a few query rows) at a time and the MLP a few rows at a time (transformer-blocks.ts). ViT-B at 224 stays
 * below it (its graph is unchanged); ViT-L-14-336 at 518 needs 240 MB of scores unchunked.
 */
export const ACTIVATION_CHUNK_BYTES = 8e6;

export interface ActivationChunks {
  headsPerChunk: number;
  /** Query rows per attention chunk (equal chunks; = tokens when attention is not split by rows). */
  attentionRows: number;
  /** Tokens per MLP row chunk (equal chunks; = tokens when the MLP is not split). */
  mlpRows: number;
}

/** The largest equal chunks of `n` rows of at most `maxRows` each. */
function equalChunks(n: number, maxRows: number): number {
  return Math.ceil(n / Math.ceil(n / Math.max(1, maxRows)));
}

export function activationChunks(tokens: number, heads: number, mlpWidth: number): ActivationChunks {
  const scoresPerHeadRow = 2 * tokens * 4; // scores + softmax of one query row
  const headsPerChunk = Math.max(1, Math.min(heads, Math.floor(ACTIVATION_CHUNK_BYTES / (scoresPerHeadRow * tokens))));
  return {
    headsPerChunk,
    attentionRows: equalChunks(tokens, Math.floor(ACTIVATION_CHUNK_BYTES / (scoresPerHeadRow * headsPerChunk))),
    mlpRows: equalChunks(tokens, Math.floor(ACTIVATION_CHUNK_BYTES / (2 * mlpWidth * 4))),
  };
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
  /**
   * What stage 0 holds in JS besides its graph: a text tower in stages gathers its token embedding rows outside ORT
   * (tokenEmbeddingGatherBytes); 0 otherwise.
   */
  embeddingJs?: number;
  blocks: number[];
  head: number;
}

/**
 * Activations of one forward pass at batch 1 through a stage (float32): the residual stream in and out, q/k/v,
 * attention scores and their softmax and the MLP's hidden layer before and after the activation (for the chunk of
 * heads / rows computed at once, `activationChunks`), plus the tapped tokens and projections it outputs, which stay
 * alive until the run returns.
 */
export function activationBytes(s: StageShape, blocks: [number, number]): number {
  const [from, to] = blocks;
  const inRange = (l: number) => l > from && l <= to;
  const c = s.chunked === false ? { headsPerChunk: s.heads, attentionRows: s.tokens, mlpRows: s.tokens } : activationChunks(s.tokens, s.heads, s.mlpWidth);
  const perBlock = 5 * s.tokens * s.width + 2 * c.headsPerChunk * c.attentionRows * s.tokens + 2 * c.mlpRows * s.mlpWidth;
  const outputs = s.tappedLayers.filter(inRange).length * s.tokens * s.width + s.projectedLayers.filter(inRange).length * s.grid * s.grid * s.embedDim;
  return 4 * ((s.batch ?? 1) * perBlock + outputs);
}

/** Whether the stage's blocks are compiled in activation chunks (the large-token image towers). */
function isChunked(s: StageShape): boolean {
  if (s.chunked === false) return false;
  const c = activationChunks(s.tokens, s.heads, s.mlpWidth);
  return c.headsPerChunk < s.heads || c.attentionRows < s.tokens || c.mlpRows < s.tokens;
}

/**
 * Predicted isolate peak of a stage: the JS heap plus the larger of two moments. Loading: the weights as read from R2
 * (held in JS until ORT has them, then detached) while ORT's heap takes them (ORT's base + the weights, measured
 * 1.0x). Running: ORT's heap with the weights and its activation peak (ACTIVATION_SHARE of one block's activations,
 * EXTRA_BLOCK_SHARE more per further block, plus the stage's outputs), x the growth step. `jsBytes`: what the stage
 * holds in JS on top of its base heap while it runs (text stage 0's gathered token embedding rows).
 */
export function predictedPeakBytes(s: StageShape, blocks: [number, number], weightBytes: number, jsBytes = 0): number {
  const n = blocks[1] - blocks[0];
  const oneBlock = activationBytes({ ...s, tappedLayers: [], projectedLayers: [] }, blocks);
  const stageOutputs = activationBytes(s, blocks) - oneBlock;
  const extra = isChunked(s) ? EXTRA_BLOCK_SHARE.chunked : EXTRA_BLOCK_SHARE.whole;
  const activations = ACTIVATION_SHARE * oneBlock * (1 + extra * (n - 1)) + stageOutputs;
  const loading = weightBytes + ORT_BASE_BYTES + weightBytes;
  const running = WASM_GROWTH * (ORT_BASE_BYTES + weightBytes + activations);
  return JS_BASE_BYTES + Math.max(loading, running + jsBytes);
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
 * The fewest stages whose predicted peaks all fit PLAN_SHARE of the budget (bytes): each stage takes blocks while the next one still fits
 * (the cost only grows with a stage's blocks, so packing greedily is optimal). Null when one block alone does not fit.
 */
export function planStages(s: StageShape, w: TowerWeights, budgetBytes: number): [number, number][] | null {
  const layers = w.blocks.length;
  const fits = (r: [number, number]) => predictedPeakBytes(s, r, stageWeightBytes(w, r), r[0] === 0 ? (w.embeddingJs ?? 0) : 0) <= PLAN_SHARE * budgetBytes;
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
