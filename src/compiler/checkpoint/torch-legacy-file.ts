// torch.save's legacy format (torch < 1.6, or _use_new_zipfile_serialization=False): five pickles in a row (magic
// number, protocol version, sys_info, the object, the sorted storage keys), then each storage as an int64 element count
// and its raw bytes, in key order. Every pickle goes through the restricted unpickler.
import { CheckpointError } from "./checkpoint-error";
import { GlobalRef, type PickleValue, PyDict, PyTuple, restrictedUnpickleAt, type StorageDtype, StorageRef, TensorRef } from "./restricted-unpickler";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const ITEM_SIZE: Record<StorageDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

function bad(message: string): never {
  throw new CheckpointError("bad_archive", `legacy torch file: ${message}`);
}

export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  // PROTO 2, then LONG1 of 10 bytes: the magic number
  return bytes.length > 4 && bytes[0] === 0x80 && bytes[2] === 0x8a && bytes[3] === 10;
}

function storageDtypes(v: PickleValue, out: Map<string, StorageDtype>, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== "object" || seen.has(v)) return;
  seen.add(v);
  if (v instanceof StorageRef) {
    const known = out.get(v.key);
    if (known && known !== v.dtype) bad(`storage ${v.key} is used as both ${known} and ${v.dtype}`);
    out.set(v.key, v.dtype);
  } else if (v instanceof TensorRef) storageDtypes(v.storage, out, seen);
  else if (v instanceof PyDict) for (const x of v.items.values()) storageDtypes(x, out, seen);
  else if (v instanceof PyTuple) for (const x of v.items) storageDtypes(x, out, seen);
  else if (Array.isArray(v)) for (const x of v) storageDtypes(x, out, seen);
  else if (v instanceof GlobalRef || v instanceof Uint8Array) return;
}

/** A decoded torch.save file of either format: the unpickled object and its storages' bytes. */
export interface TorchFileContents {
  root: PickleValue;
  /** The bytes of the storage a reference points at (from its view offset on), or undefined if absent. */
  storage(ref: StorageRef): Uint8Array | undefined;
}

export function readLegacyTorchFile(bytes: Uint8Array): TorchFileContents {
  let at = 0;
  const next = (): PickleValue => {
    const r = restrictedUnpickleAt(bytes, at);
    at = r.end;
    return r.value;
  };
  if (next() !== LEGACY_MAGIC) bad("wrong magic number");
  const protocol = next();
  if (protocol !== LEGACY_PROTOCOL) bad(`protocol version ${String(protocol)}, expected ${LEGACY_PROTOCOL}`);
  const sysInfo = next();
  if (sysInfo instanceof PyDict && sysInfo.items.get("little_endian") === false) {
    throw new CheckpointError("unsupported_dtype", "the file was written on a big-endian machine; only little-endian storages are read");
  }
  const root = next();
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) bad("the storage key list is not a list of strings");
  const dtypes = new Map<string, StorageDtype>();
  storageDtypes(root, dtypes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Uint8Array>();
  for (const key of keys as string[]) {
    const dtype = dtypes.get(key);
    if (!dtype) bad(`storage ${key} is listed but no tensor refers to it, so its element size is unknown`);
    if (at + 8 > bytes.length) bad(`truncated before storage ${key}`);
    const count = view.getBigInt64(at, true);
    const n = Number(count) * ITEM_SIZE[dtype];
    if (count < 0n || at + 8 + n > bytes.length) bad(`storage ${key} claims ${count} values but the file ends first`);
    data.set(key, bytes.subarray(at + 8, at + 8 + n));
    at += 8 + n;
  }
  return { root, storage: (ref) => data.get(ref.key)?.subarray(ref.offset * ITEM_SIZE[ref.dtype]) };
}
