// safetensors read/write: parse a file's bytes into float32 tensors (F32/F16/BF16/F64) and serialise tensors back.
import { concatBytes } from "../concat-bytes";
import { CheckpointError } from "./checkpoint-error";
import { decodeBF16, decodeF16, encodeF16 } from "../../shared/float16";
import { fmtShape, numel } from "./tensor-map";
import { LITTLE_ENDIAN_HOST, readFloat32LE } from "./little-endian";

export type SafetensorsDtype = "F32" | "F16" | "BF16" | "F64";

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Byte range within the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Absolute byte offset of the data section. */
  dataStart: number;
}

const ITEM_SIZE: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};
const DECODED = new Set(["F32", "F16", "BF16", "F64"]);
const MAX_HEADER = 100_000_000; // the safetensors spec's own limit

function isDim(d: unknown): d is number {
  return typeof d === "number" && Number.isInteger(d) && d >= 0;
}

/** Reads and validates the header only; no tensor data is touched. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8) throw new CheckpointError("truncated", `safetensors file is ${bytes.length} bytes, shorter than its 8-byte header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw new CheckpointError("bad_header", `safetensors header length ${n} is implausible (> ${MAX_HEADER})`);
  if (8 + n > bytes.length) {
    throw new CheckpointError("truncated", `safetensors header claims ${n} bytes but the file has only ${bytes.length - 8} after the length`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new CheckpointError("bad_header", `safetensors header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CheckpointError("bad_header", "safetensors header is not a JSON object");
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    if (key === "__metadata__") {
      if (typeof raw !== "object" || raw === null) throw new CheckpointError("bad_header", "safetensors __metadata__ is not an object");
      metadata = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (
      typeof e !== "object" ||
      e === null ||
      typeof e.dtype !== "string" ||
      !Array.isArray(e.shape) ||
      !e.shape.every(isDim) ||
      !Array.isArray(e.data_offsets) ||
      e.data_offsets.length !== 2 ||
      !e.data_offsets.every(isDim)
    ) {
      throw new CheckpointError("bad_header", `safetensors header entry "${key}" lacks a valid dtype, shape or data_offsets`, key);
    }
    const shape = e.shape as number[];
    const [begin, end] = e.data_offsets as [number, number];
    if (end > dataLen) {
      throw new CheckpointError(
        "truncated",
        `tensor "${key}" ends at data byte ${end} but the file's data section has only ${dataLen} bytes (truncated file?)`,
        key,
      );
    }
    const size = ITEM_SIZE[e.dtype];
    if (begin > end || (size !== undefined && end - begin !== numel(shape) * size)) {
      throw new CheckpointError("offset_out_of_range", `tensor "${key}" data_offsets [${begin}, ${end}] do not hold ${e.dtype} ${fmtShape(shape)}`, key);
    }
    entries.set(key, { dtype: e.dtype, shape, begin, end });
  }
  return { entries, metadata, dataStart };
}

function decode(bytes: Uint8Array, abs: number, entry: SafetensorsEntry, count: number, copy: boolean): Float32Array {
  const off = bytes.byteOffset + abs;
  const view = new DataView(bytes.buffer, off, entry.end - entry.begin);
  switch (entry.dtype) {
    case "F32":
      return readFloat32LE(bytes, abs, count, copy);
    case "F16":
    case "BF16": {
      let bits: Uint16Array;
      if (LITTLE_ENDIAN_HOST && off % 2 === 0) bits = new Uint16Array(bytes.buffer, off, count);
      else {
        bits = new Uint16Array(count);
        for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true);
      }
      return entry.dtype === "F16" ? decodeF16(bits) : decodeBF16(bits);
    }
    default: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
  }
}

export interface ParseOptions {
  /** Decode only the keys for which this returns true (others are still header-validated). */
  include?: (key: string) => boolean;
  /** Copy F32 data out of `bytes`; by default aligned F32 tensors are zero-copy views of `bytes`. */
  copy?: boolean;
}

/** Decodes every (included) tensor to float32. Aligned F32 data aliases `bytes` unless `copy` is set. */
export function parseSafetensors(bytes: Uint8Array, options: ParseOptions = {}): Map<string, SafetensorsTensor> {
  const header = readSafetensorsHeader(bytes);
  const out = new Map<string, SafetensorsTensor>();
  for (const [key, entry] of header.entries) {
    if (options.include && !options.include(key)) continue;
    if (!DECODED.has(entry.dtype)) {
      throw new CheckpointError("unsupported_dtype", `tensor "${key}" has dtype ${entry.dtype}; only F32, F16, BF16 and F64 are supported`, key);
    }
    const data = decode(bytes, header.dataStart + entry.begin, entry, numel(entry.shape), options.copy ?? false);
    out.set(key, { dtype: entry.dtype as SafetensorsDtype, shape: entry.shape, data });
  }
  return out;
}

export interface SerializableTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** The file as a list of byte chunks (header first, then one per tensor, F32 chunks alias the inputs). */
export function serializeSafetensorsChunks(
  tensors: Readonly<Record<string, SerializableTensor>>,
  dtype: "F32" | "F16" = "F32",
  metadata?: Record<string, string>,
): Uint8Array[] {
  if (!LITTLE_ENDIAN_HOST) throw new Error("serializeSafetensors needs a little-endian host");
  const keys = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const key of keys) {
    const t = tensors[key]!;
    if (t.data.length !== numel(t.shape)) {
      throw new CheckpointError("shape_mismatch", `tensor "${key}" holds ${t.data.length} values for shape ${fmtShape(t.shape)}`, key);
    }
    let chunk: Uint8Array;
    if (dtype === "F16") {
      const h = encodeF16(t.data);
      chunk = new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
    } else {
      chunk = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    }
    header[key] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + chunk.byteLength] };
    offset += chunk.byteLength;
    chunks.push(chunk);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...chunks];
}

export function serializeSafetensors(
  tensors: Readonly<Record<string, SerializableTensor>>,
  dtype: "F32" | "F16" = "F32",
  metadata?: Record<string, string>,
): Uint8Array {
  return concatBytes(serializeSafetensorsChunks(tensors, dtype, metadata));
}
