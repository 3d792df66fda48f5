// zlib inflate by the runtime's own DecompressionStream (native zlib), read BYOB straight into a caller's buffer.
//
// workerd's DecompressionStream is a byte stream: a BYOB read fills the given view with up to its whole length, so a
// 900x900 PNG's 2.4 MB arrive in a few reads instead of hundreds of 4 kB chunks. Node 20's is not (getReader({ mode:
// "byob" }) throws): there `nativeInflateSupported()` is false and the JS inflater (inflate.ts) runs instead.
// The input goes in slices, each written once the previous write has resolved, so the stream can hold back input it has
// not been asked for: a 4 kB slice inflates to at most about 4 MB (1032x, zlib's limit). The reading stops at the
// limit whatever the stream does; how much a bomb makes workerd inflate before that was not measured.

import type { PooledBuffer } from "../../shared/byte-pool";

/** Compressed bytes per write (at most about 4 MB of output each, 1032x). */
const SLICE = 4096;

let supported: boolean | undefined;

/** Whether DecompressionStream("deflate") exists and can be read BYOB here (checked once). */
export function nativeInflateSupported(): boolean {
  if (supported === undefined) {
    try {
      const ds = new DecompressionStream("deflate");
      ds.readable.getReader({ mode: "byob" }).releaseLock();
      supported = true;
    } catch {
      supported = false;
    }
  }
  return supported;
}

export interface NativeInflateResult {
  /** Bytes written at the start of `lease.buffer` (which may be a new ArrayBuffer: BYOB reads transfer it). */
  produced: number;
  /** True when the data would have produced more than `limit` bytes (reading stopped there). */
  overflow: boolean;
  /** The stream's error (corrupt or truncated data, a bad header or checksum), if it failed. */
  error?: unknown;
}

/**
 * Inflates the zlib stream made of `parts` (in order) into `lease.buffer`, at most `limit` bytes (the buffer holds at
 * least limit + 1: the extra byte tells an overflow). Never throws for bad data: the result says what happened.
 */
export async function inflateZlibNative(parts: readonly Uint8Array[], lease: PooledBuffer, limit: number): Promise<NativeInflateResult> {
  const ds = new DecompressionStream("deflate");
  const reader = ds.readable.getReader({ mode: "byob" });
  const writer = ds.writable.getWriter();
  const writing = (async () => {
    for (const part of parts) {
      for (let at = 0; at < part.length; at += SLICE) await writer.write(part.subarray(at, Math.min(part.length, at + SLICE)) as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })();
  writing.catch(() => undefined); // its failures reach the reader as the stream's error
  let produced = 0;
  let overflow = false;
  let error: unknown;
  try {
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(lease.buffer, produced, limit + 1 - produced));
      if (value) lease.buffer = value.buffer as ArrayBuffer;
      if (done) break;
      produced += value.length;
      if (produced > limit) {
        overflow = true;
        produced = limit;
        break;
      }
    }
  } catch (err) {
    error = err;
  }
  if (overflow || error !== undefined) {
    await reader.cancel().catch(() => undefined);
    await writer.abort().catch(() => undefined);
  }
  reader.releaseLock();
  return error === undefined ? { produced, overflow } : { produced, overflow, error };
}
