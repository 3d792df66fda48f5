// Reference-set features as one binary object: magic, JSON header, then every layer's memory bank as fp16.
import { z } from "zod";
import { decodeF16, encodeF16Clamped } from "../shared/float16";
import type { EmbeddingInfo, EmbeddingToStore, ReferenceEmbedding } from "../usecases/reference-set-store";

const MAGIC = "EAREFv1\n";

const calibrationSchema = z.object({
  method: z.enum(["loo-gaussian", "single-shot-prior"]),
  k: z.number().int().positive(),
  center: z.number(),
  spread: z.number().positive(),
  threshold: z.number(),
  zStar: z.number(),
  slope: z.number(),
  zeroShotReference: z.number(),
  sampleSpread: z.number().nullable(),
});

export const embeddingInfoSchema = z.object({
  modelHash: z.string(),
  promptSet: z.string(),
  createdAt: z.string(),
  calibration: calibrationSchema,
});

const headerSchema = embeddingInfoSchema.extend({
  width: z.number().int().positive(),
  /** Few-shot layers in storage order; each bank has `rows` rows of `width` values. */
  layers: z.array(z.number().int().positive()).min(1),
  rows: z.number().int().positive(),
  dtype: z.literal("float16"),
});

export function infoOf(e: EmbeddingInfo): EmbeddingInfo {
  return { modelHash: e.modelHash, promptSet: e.promptSet, createdAt: e.createdAt, calibration: e.calibration };
}

/**
 * The stored object in pieces, in order (magic, header length, header and padding; then each layer's half bits), and
 * its length: written one after the other they are encodeEmbedding's bytes. Banks given as half bits are views of
 * them, not copies; float32 banks are narrowed (clamped to ±HALF_MAX) one layer at a time as the pieces are taken.
 */
export function embeddingParts(e: EmbeddingToStore): { bytes: number; parts: Iterable<Uint8Array> } {
  const layers = [...e.memory.keys()];
  const rows = e.memory.get(layers[0]!)!.length / e.width;
  for (const l of layers) {
    const bank = e.memory.get(l)!;
    if (bank.length !== rows * e.width) throw new RangeError(`memory bank of layer ${l} has ${bank.length} values, expected ${rows * e.width}`);
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...infoOf(e), width: e.width, layers, rows, dtype: "float16" }));
  const dataOffset = align(MAGIC.length + 4 + header.length, 4);
  const prefix = new Uint8Array(dataOffset);
  prefix.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(prefix.buffer).setUint32(MAGIC.length, header.length, true);
  prefix.set(header, MAGIC.length + 4);
  function* parts(): Generator<Uint8Array> {
    yield prefix;
    for (const l of layers) {
      const bank = e.memory.get(l)!;
      const half = bank instanceof Uint16Array ? bank : encodeF16Clamped(bank);
      yield new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
    }
  }
  return { bytes: dataOffset + layers.length * rows * e.width * 2, parts: { [Symbol.iterator]: parts } };
}

/** Banks given as float32 are narrowed (clamped to ±HALF_MAX); banks given as half bits are stored as they are. */
export function encodeEmbedding(e: EmbeddingToStore): Uint8Array {
  const { bytes, parts } = embeddingParts(e);
  const out = new Uint8Array(bytes);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

export function decodeEmbedding(bytes: Uint8Array): ReferenceEmbedding {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new Error("not a reference-set embedding (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const header = headerSchema.parse(JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))));
  const dataOffset = align(MAGIC.length + 4 + headerLength, 4);
  const values = header.layers.length * header.rows * header.width;
  if (bytes.length !== dataOffset + values * 2) throw new Error(`embedding has ${bytes.length} bytes, expected ${dataOffset + values * 2}`);
  // A copy at offset 0 so the Uint16Array view is aligned whatever buffer the bytes came in.
  const half = new Uint16Array(bytes.slice(dataOffset).buffer);
  const bankValues = header.rows * header.width;
  const memory = new Map<number, Float32Array>();
  header.layers.forEach((l, i) => {
    memory.set(l, decodeF16(half.subarray(i * bankValues, (i + 1) * bankValues)));
  });
  return { ...infoOf(header), width: header.width, memory };
}

/** The header and where each layer's half bits lie in the stored object: what a stage needs to read only its layers. */
export interface EmbeddingLayout {
  layers: number[];
  rows: number;
  width: number;
  /** Byte range of the layer's bank in the object, or undefined when the embedding has no such layer. */
  range(layer: number): { offset: number; length: number } | undefined;
}

/** Bytes of the object's start that hold the header of any embedding in practice (a longer one asks for more). */
export const EMBEDDING_HEADER_PROBE = 4096;

/**
 * The layout from the first bytes of a stored embedding; `{ needBytes }` when the header is longer than `prefix`.
 * `size`: the whole object's length, checked against the header's rows and layers.
 */
export function embeddingLayout(prefix: Uint8Array, size: number): EmbeddingLayout | { needBytes: number } {
  const magic = new TextDecoder().decode(prefix.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new Error("not a reference-set embedding (bad magic)");
  const headerLength = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(MAGIC.length, true);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (prefix.length < headerEnd) return { needBytes: headerEnd };
  const header = headerSchema.parse(JSON.parse(new TextDecoder().decode(prefix.subarray(MAGIC.length + 4, headerEnd))));
  const dataOffset = align(headerEnd, 4);
  const bankBytes = header.rows * header.width * 2;
  if (size !== dataOffset + header.layers.length * bankBytes)
    throw new Error(`embedding has ${size} bytes, expected ${dataOffset + header.layers.length * bankBytes}`);
  return {
    layers: header.layers,
    rows: header.rows,
    width: header.width,
    range(layer) {
      const i = header.layers.indexOf(layer);
      return i < 0 ? undefined : { offset: dataOffset + i * bankBytes, length: bankBytes };
    },
  };
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
