// Typed calls into a bundle's graphs: image tower, text tower and few-shot head, in the shapes the scoring code uses.
import { decodeF16Into } from "../../shared/float16";
import { releaseBuffer } from "../../shared/release-buffer";
import { fewShotHeadNames, imageGraphNames, TEXT_BATCH_SIZE, textGraphNames } from "./graph-names";
import type { ModelBundle } from "./model-bundle";

export interface ImageEncoding {
  /** L2-normalised image embedding [embedDim]. */
  imageFeatures: Float32Array;
  /** Raw residual tokens after each tapped block, class token first: [1 + grid*grid, width]. */
  tokens: Map<number, Float32Array>;
  /** Adapter projections of the patch tokens of each zero-shot layer, L2-normalised rows: [grid*grid, embedDim]. */
  projected: Map<number, Float32Array>;
}

export async function encodeImage(bundle: ModelBundle, pixels: Float32Array): Promise<ImageEncoding> {
  const m = bundle.manifest;
  const session = await bundle.session("image");
  const out = await session.run({ [imageGraphNames.pixels]: { type: "float32", data: pixels, dims: [1, 3, m.imageSize, m.imageSize] } });
  const get = (name: string) => {
    const t = out[name];
    if (!t) throw new Error(`image graph has no output ${name}`);
    return t.data;
  };
  const tokens = new Map<number, Float32Array>();
  for (const l of new Set([...m.layers.zeroShot, ...m.layers.fewShot])) tokens.set(l, get(imageGraphNames.tokens(l)));
  const projected = new Map<number, Float32Array>();
  for (const l of m.layers.zeroShot) projected.set(l, get(imageGraphNames.projected(l)));
  return { imageFeatures: get(imageGraphNames.features), tokens, projected };
}

/**
 * Encodes token id rows [n, contextLength] into L2-normalised embeddings [n, embedDim]. Each batch is trimmed to
 * its longest EOT position + 1: the causal mask makes the EOT row independent of what follows it.
 */
export async function encodeTexts(bundle: ModelBundle, ids: Int32Array, batchSize = TEXT_BATCH_SIZE): Promise<Float32Array> {
  const { contextLength } = bundle.manifest.architecture.text;
  const embedDim = bundle.manifest.architecture.embedDim;
  const n = ids.length / contextLength;
  const session = await bundle.session("text");
  const result = new Float32Array(n * embedDim);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    let seq = 1;
    for (let r = start; r < start + count; r++) seq = Math.max(seq, argmax(ids, r * contextLength, contextLength) + 1);
    const batch = new BigInt64Array(count * seq);
    for (let r = 0; r < count; r++) {
      for (let c = 0; c < seq; c++) batch[r * seq + c] = BigInt(ids[(start + r) * contextLength + c]!);
    }
    const out = await session.run({ [textGraphNames.tokens]: { type: "int64", data: batch, dims: [count, seq] } });
    result.set(out[textGraphNames.features]!.data, start * embedDim);
  }
  return result;
}

function argmax(a: Int32Array, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (a[offset + i]! > a[offset + best]!) best = i;
  return best;
}

/**
 * The most bytes of [G*G, rows] similarities a stage's few-shot head makes ORT hold in one run. With a chunk of whole
 * shots (G*G rows: 7.5 MB at ViT-L-14-336 518) the head's feeds, their normalised copies and the similarities took
 * more of ORT's heap than the stage's block, which then grew one step (README, "Per-isolate memory").
 */
export const HEAD_SIMILARITY_BYTES = 4e6;

/** Memory rows per few-shot head run in a stage: equal chunks of at most HEAD_SIMILARITY_BYTES of similarities. */
export function stageHeadChunkRows(patches: number): number {
  const most = Math.max(1, Math.floor(HEAD_SIMILARITY_BYTES / (4 * patches)));
  return Math.ceil(patches / Math.ceil(patches / most));
}

/**
 * min over memory rows of (1 - cosine) for every query patch, per few-shot layer. Query [G*G, W], memory [M, W].
 * `chunkRows`: the head runs on at most that many memory rows at a time and keeps a running minimum, so ORT's heap
 * holds [G*G, chunkRows] similarities instead of [G*G, M]. Each similarity is computed from its own two rows only,
 * so the result is the same as in one run. A bank given as half bits (as stored) is widened chunk by chunk.
 */
export async function fewShotDistances(
  bundle: ModelBundle,
  query: Float32Array[],
  memory: readonly (Float32Array | Uint16Array)[],
  chunkRows = Infinity,
): Promise<Float32Array[]> {
  const width = bundle.manifest.architecture.vision.width;
  const layers = query.length;
  const patches = query[0]!.length / width;
  const rows = memory[0]!.length / width;
  const session = await bundle.session("fewShotHead");
  const queryTensor = { type: "float32" as const, data: concat(query), dims: [layers, patches, width] };
  const step = Math.max(1, Math.min(rows, chunkRows));
  // Half bits are widened into one buffer, the layers one after the other (so the feed needs no copy), reused for
  // every chunk (ORT copies a feed into its own heap).
  const scratch = memory.some((m) => m instanceof Uint16Array) ? new Float32Array(layers * step * width) : undefined;
  const widened = memory.map((m, i) => (m instanceof Uint16Array ? scratch!.subarray(i * step * width, (i + 1) * step * width) : undefined));
  let best: Float32Array | undefined;
  for (let from = 0; from < rows; from += step) {
    const n = Math.min(step, rows - from);
    const chunk = memory.map((m, i) => {
      const part = n === rows ? m : m.subarray(from * width, (from + n) * width);
      return part instanceof Uint16Array ? decodeF16Into(part, n === step ? widened[i]! : widened[i]!.subarray(0, part.length)) : part;
    });
    const out = await session.run({
      [fewShotHeadNames.query]: queryTensor,
      [fewShotHeadNames.memory]: { type: "float32", data: concat(chunk), dims: [layers, n, width] },
    });
    const d = out[fewShotHeadNames.distance]!.data;
    if (!best) best = d;
    else for (let i = 0; i < best.length; i++) if (d[i]! < best[i]!) best[i] = d[i]!;
  }
  if (scratch) releaseBuffer(scratch);
  return Array.from({ length: layers }, (_, i) => best!.slice(i * patches, (i + 1) * patches));
}

/**
 * The parts one after the other. A feed is only read, so a single part, or parts that already lie one after the other
 * in one buffer, are given as one view of it; anything else is copied into one array.
 */
function concat(parts: Float32Array[]): Float32Array {
  const first = parts[0]!;
  let end = first.byteOffset + first.byteLength;
  let adjacent = true;
  for (const p of parts.slice(1)) {
    if (p.buffer !== first.buffer || p.byteOffset !== end) {
      adjacent = false;
      break;
    }
    end += p.byteLength;
  }
  if (adjacent) return new Float32Array(first.buffer, first.byteOffset, (end - first.byteOffset) / 4);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
