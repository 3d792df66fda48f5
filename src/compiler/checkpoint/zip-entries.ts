// Lists a zip archive's entries from its central directory (zip64 included) and returns their bytes.
// torch.save writes entries stored (uncompressed) with sizes only in the central directory (the local
// headers set the data-descriptor flag), so the central directory is the one source of truth here.
import { inflateSync } from "fflate";
import { CheckpointError } from "./checkpoint-error";

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

function bad(message: string): never {
  throw new CheckpointError("bad_archive", message);
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`zip field at byte ${at} is too large (${v})`);
  return Number(v);
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function findEocd(view: DataView): number {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) if (view.getUint32(at, true) === EOCD) return at;
  return bad("not a zip archive: no end-of-central-directory record");
}

/** Reads zip64 extra-field values for the central-directory fields that overflowed 32 bits. */
function applyZip64(view: DataView, extraStart: number, extraLen: number, e: ZipEntry): void {
  let at = extraStart;
  while (at + 4 <= extraStart + extraLen) {
    const id = view.getUint16(at, true);
    const len = view.getUint16(at + 2, true);
    if (id === 0x0001) {
      let p = at + 4;
      if (e.size === U32_MAX) {
        e.size = u64(view, p);
        p += 8;
      }
      if (e.compressedSize === U32_MAX) {
        e.compressedSize = u64(view, p);
        p += 8;
      }
      if (e.localHeaderOffset === U32_MAX) e.localHeaderOffset = u64(view, p);
      return;
    }
    at += 4 + len;
  }
}

export function listZipEntries(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22) bad(`not a zip archive: ${bytes.length} bytes`);
  const eocd = findEocd(view);
  let count = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || cdOffset === U32_MAX) && eocd >= 20 && view.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
    const rec = u64(view, eocd - 20 + 8);
    if (rec + 56 > bytes.length || view.getUint32(rec, true) !== EOCD64) bad("zip64 end-of-central-directory record missing");
    count = u64(view, rec + 32);
    cdOffset = u64(view, rec + 48);
  }
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) bad(`zip central directory entry ${i} is missing or truncated`);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const e: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen)),
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64(view, at + 46 + nameLen, extraLen, e);
    entries.push(e);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The entry's bytes: a view into `bytes` when stored, a fresh array when deflated. */
export function zipEntryBytes(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = e.localHeaderOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== LOCAL) bad(`zip entry ${e.name}: local header missing (truncated file?)`);
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.length) bad(`zip entry ${e.name} ends at byte ${end} but the file has ${bytes.length} (truncated file?)`);
  const raw = bytes.subarray(start, end);
  if (e.method === 0) return raw;
  if (e.method === 8) {
    const out = inflateSync(raw, { out: new Uint8Array(e.size) });
    if (out.length !== e.size) bad(`zip entry ${e.name} inflates to ${out.length} bytes, expected ${e.size}`);
    return out;
  }
  return bad(`zip entry ${e.name} uses compression method ${e.method}; only stored and deflate are read`);
}
