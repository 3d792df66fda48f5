// Reads a torch.save file (the zip archive of torch >= 1.6: {prefix}/data.pkl + {prefix}/data/{key}, or the legacy
// format) into float32 tensors, the same map parseSafetensors gives. Pickles go through the restricted unpickler.
import { CheckpointError } from "./checkpoint-error";
import { decodeBF16, decodeF16 } from "../../shared/float16";
import { PyDict, restrictedUnpickle, type StorageDtype, TensorRef } from "./restricted-unpickler";
import { fmtShape, numel } from "./tensor-map";
import { isLegacyTorchFile, type TorchFileContents, readLegacyTorchFile } from "./torch-legacy-file";
import { isZip, listZipEntries, zipEntryBytes } from "./zip-entries";
import { readFloat32LE } from "./little-endian";

export interface TorchTensor {
  dtype: StorageDtype;
  shape: number[];
  data: Float32Array;
}

export interface TorchParseOptions {
  /** Decode only the keys for which this returns true. */
  include?: (key: string) => boolean;
  /** When the top-level dict has this key holding a dict, read that dict (e.g. APRIL-GAN's "trainable_linearlayer"). */
  unwrap?: string;
  /** Copy F32 data out of `bytes`; by default aligned contiguous F32 tensors are zero-copy views of `bytes`. */
  copy?: boolean;
}

const ITEM_SIZE: Record<StorageDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

/** A torch.save file: the zip archive (torch >= 1.6) or the legacy pickle sequence. */
export function isTorchFile(bytes: Uint8Array): boolean {
  return isZip(bytes) || isLegacyTorchFile(bytes);
}

/** Tensors of nested dicts, keys joined with "."; non-tensor values (epoch counters, configs) are skipped. */
function collectTensors(dict: PyDict, prefix: string, out: Map<string, TensorRef>): void {
  for (const [k, v] of dict.items) {
    const key = `${prefix}${k}`;
    if (v instanceof PyDict) collectTensors(v, `${key}.`, out);
    else if (v instanceof TensorRef) out.set(key, v);
  }
}

function decodeElements(dtype: StorageDtype, bytes: Uint8Array, first: number, count: number, copy: boolean): Float32Array {
  const off = bytes.byteOffset + first * ITEM_SIZE[dtype];
  const view = new DataView(bytes.buffer, off, count * ITEM_SIZE[dtype]);
  switch (dtype) {
    case "F32":
      return readFloat32LE(bytes, first * ITEM_SIZE[dtype], count, copy);
    case "F16":
    case "BF16": {
      const bits = new Uint16Array(count);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true);
      return dtype === "F16" ? decodeF16(bits) : decodeBF16(bits);
    }
    case "F64": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case "I64": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) return false;
    expect *= shape[d]!;
  }
  return true;
}

/** Materialises a strided view row-major; offsets are checked against the storage before any read. */
function materialise(key: string, t: TensorRef, storage: Uint8Array, copy: boolean): Float32Array {
  const { dtype, numel: storageNumel } = t.storage;
  const count = numel(t.shape);
  if (storage.length < storageNumel * ITEM_SIZE[dtype]) {
    throw new CheckpointError(
      "truncated",
      `storage ${t.storage.key} of "${key}" has ${storage.length} bytes, fewer than its ${storageNumel} ${dtype} values`,
      key,
    );
  }
  if (count === 0) return new Float32Array(0);
  const last = t.offset + t.shape.reduce((s, d, i) => s + (d - 1) * t.stride[i]!, 0);
  if (t.offset < 0 || last >= storageNumel) {
    throw new CheckpointError(
      "offset_out_of_range",
      `tensor "${key}" ${fmtShape(t.shape)} at offset ${t.offset} reaches element ${last} of a ${storageNumel}-element storage`,
      key,
    );
  }
  if (isContiguous(t.shape, t.stride)) return decodeElements(dtype, storage, t.offset, count, copy);
  // Decode the storage span once, then gather by strides (transposed or sliced tensors).
  const span = decodeElements(dtype, storage, 0, last + 1, false);
  const out = new Float32Array(count);
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = t.offset;
  for (let i = 0; i < count; i++) {
    out[i] = span[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      src += t.stride[d]!;
      if (index[d]! < t.shape[d]!) break;
      src -= t.stride[d]! * t.shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function readZipArchive(bytes: Uint8Array): TorchFileContents {
  if (!isZip(bytes)) {
    throw new CheckpointError("bad_archive", "neither a torch.save zip archive nor a legacy torch.save file (the older tar format is not read)");
  }
  const entries = listZipEntries(bytes);
  const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    throw new CheckpointError(
      "bad_archive",
      `expected one {name}/data.pkl in the archive, found ${pickles.length} (entries: ${entries
        .slice(0, 5)
        .map((e) => e.name)
        .join(", ")})`,
    );
  }
  const prefix = pickles[0]!.name.slice(0, -"data.pkl".length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  // torch >= 2.1 records the writer's byte order; storages are read little-endian.
  const order = byName.get(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(zipEntryBytes(bytes, order)).trim() !== "little") {
    throw new CheckpointError("unsupported_dtype", "the archive was written on a big-endian machine; only little-endian storages are read");
  }
  const pickle = restrictedUnpickle(zipEntryBytes(bytes, pickles[0]!));
  return {
    root: pickle,
    storage: (ref) => {
      const entry = byName.get(`${prefix}data/${ref.key}`);
      return entry && zipEntryBytes(bytes, entry);
    },
  };
}

/** Decodes the state dict's tensors (all, or the included keys) to float32, in the pickle's key order. */
export function parseTorchCheckpoint(bytes: Uint8Array, options: TorchParseOptions = {}): Map<string, TorchTensor> {
  const file = isLegacyTorchFile(bytes) ? readLegacyTorchFile(bytes) : readZipArchive(bytes);
  let root = file.root;
  if (!(root instanceof PyDict)) throw new CheckpointError("bad_pickle", "the checkpoint's top-level object is not a dict");
  if (options.unwrap !== undefined) {
    const inner = root.items.get(options.unwrap);
    if (inner instanceof PyDict) root = inner;
  }
  const refs = new Map<string, TensorRef>();
  collectTensors(root, "", refs);
  const out = new Map<string, TorchTensor>();
  for (const [key, t] of refs) {
    if (options.include && !options.include(key)) continue;
    const storage = file.storage(t.storage);
    if (!storage) throw new CheckpointError("truncated", `tensor "${key}" refers to storage ${t.storage.key}, which the file lacks`, key);
    out.set(key, { dtype: t.storage.dtype, shape: [...t.shape], data: materialise(key, t, storage, options.copy ?? false) });
  }
  return out;
}
