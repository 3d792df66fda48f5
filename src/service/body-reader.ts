// Reads a request body whole into a pooled buffer, within a size limit, an idle timeout and a deadline; on any failure
// the stream is cancelled.
import { BytePool } from "../shared/byte-pool";
import { ApiError } from "./errors";

export interface BodyReadLimits {
  /** Largest body in bytes: a larger Content-Length is refused before reading, a longer stream is cut at this size. */
  maxBytes: number;
  /** Longest wait for the next chunk. */
  idleTimeoutMs: number;
  /** Longest time for the whole body, from the first read. */
  deadlineMs: number;
}

/** The declared length, or undefined when absent, chunked or not a plain decimal number. */
export function declaredLength(headers: Headers): number | undefined {
  if (headers.has("transfer-encoding")) return undefined;
  const value = headers.get("content-length");
  return value !== null && /^\d{1,15}$/.test(value.trim()) ? Number(value) : undefined;
}

export function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "payload_too_large", `request bodies are limited to ${maxBytes} bytes`, { maxBytes });
}

/** Cancels without waiting: a peer that went away must not keep the request (or the runtime) waiting on it. */
export function cancelQuietly(stream: ReadableStream<Uint8Array> | null, reason: unknown): void {
  if (!stream || stream.locked) return;
  stream.cancel(reason).catch(() => undefined);
}

/** Scratch for drained bodies: each drain checks one out (BYOB reads transfer it), 1 MB of free ones kept. */
const drainPool = new BytePool(2 ** 20);
const DRAIN_CHUNK = 64 * 1024;

/**
 * Reads the rest of a body nobody used and drops it, within the same limits as a body read (at most `maxBytes`, the
 * idle timeout and the deadline); past them, or if the connection breaks, the rest is cancelled. Answering before the
 * body is consumed makes workerd close the connection under a peer that is still sending it, and a proxy in between
 * (wrangler dev's, in front of every `npm start`) takes that write failure as fatal: a body that arrives in time is
 * therefore read to its end before the answer, one that does not is cut. The bytes go into a pooled scratch (BYOB
 * reads where the stream offers them), so a drain leaves no garbage of its size.
 */
export async function drainBody(stream: ReadableStream<Uint8Array> | null, limits: BodyReadLimits): Promise<void> {
  if (!stream || stream.locked) return;
  let reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;
  let byob = true;
  try {
    reader = (stream as ReadableStream<Uint8Array<ArrayBuffer>>).getReader({ mode: "byob" });
  } catch {
    byob = false;
    reader = stream.getReader();
  }
  const lease = drainPool.checkout(DRAIN_CHUNK);
  let size = 0;
  const deadline = Date.now() + limits.deadlineMs;
  try {
    for (;;) {
      const wait = Math.min(limits.idleTimeoutMs, deadline - Date.now());
      if (wait <= 0) throw timedOut(limits, "deadline");
      const which = deadline - Date.now() <= limits.idleTimeoutMs ? "deadline" : "idle";
      let next: ReadableStreamReadResult<Uint8Array>;
      if (byob) {
        next = await readWithin((reader as ReadableStreamBYOBReader).read(new Uint8Array(lease.buffer, 0, DRAIN_CHUNK)), wait, which, limits);
        if (next.value) lease.buffer = next.value.buffer as ArrayBuffer;
      } else {
        next = await readWithin((reader as ReadableStreamDefaultReader<Uint8Array>).read(), wait, which, limits);
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
    }
    reader.releaseLock();
  } catch (e) {
    reader.cancel(e).catch(() => undefined);
  } finally {
    lease.release();
  }
}

/** A body read into a pooled buffer: `bytes` is valid until `release()`. */
export interface BodyBytes {
  bytes: Uint8Array<ArrayBuffer>;
  release(): void;
}

/** Without a pool (or for the tests), a fresh buffer each time, released to nobody. */
const unpooled = new BytePool(0);

/**
 * The body's bytes. Throws 413 (payload_too_large) before reading when Content-Length is over the limit and as soon
 * as a stream passes it, 408 (request_timeout) when no chunk arrives within the idle timeout or the body is not
 * complete by the deadline, 400 (invalid_request) when the client's connection breaks. In every failure the rest of
 * the stream is cancelled, so nothing is left half-read for the runtime to drain.
 *
 * The bytes go into a buffer of `pool` (BYOB reads where the stream offers them, so the runtime writes straight into
 * it): no per-chunk arrays and no joined copy. The caller releases it once nothing uses the bytes any more.
 */
export async function readBodyBytes(request: Request, limits: BodyReadLimits, pool: BytePool = unpooled): Promise<BodyBytes> {
  const body = request.body;
  if (!body) return { bytes: new Uint8Array(new ArrayBuffer(0)), release: () => undefined };
  const declared = declaredLength(request.headers);
  if (declared !== undefined && declared > limits.maxBytes) {
    const error = tooLarge(limits.maxBytes);
    cancelQuietly(body, error);
    throw error;
  }
  // One byte more than the declared length, so the end of the stream is seen without growing the buffer.
  let lease = pool.checkout(Math.min(limits.maxBytes + 1, declared === undefined ? 64 * 1024 : declared + 1));
  let reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>;
  let byob = true;
  try {
    reader = (body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader({ mode: "byob" });
  } catch {
    byob = false;
    reader = (body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
  }
  let size = 0;
  const deadline = Date.now() + limits.deadlineMs;
  /** Room for `more` bytes after `size`: a larger pooled buffer when needed (the old one goes back to the pool). */
  const ensureRoom = (more: number) => {
    if (size + more <= lease.buffer.byteLength) return;
    if (size + more > limits.maxBytes + 1) throw tooLarge(limits.maxBytes);
    const grown = pool.checkout(Math.min(limits.maxBytes + 1, Math.max(size + more, lease.buffer.byteLength * 2)));
    new Uint8Array(grown.buffer).set(new Uint8Array(lease.buffer, 0, size));
    lease.release();
    lease = grown;
  };
  try {
    for (;;) {
      const wait = Math.min(limits.idleTimeoutMs, deadline - Date.now());
      if (wait <= 0) throw timedOut(limits, "deadline");
      const which = deadline - Date.now() <= limits.idleTimeoutMs ? "deadline" : "idle";
      if (byob) {
        ensureRoom(1);
        const view = new Uint8Array(lease.buffer, size, lease.buffer.byteLength - size);
        const next = await readWithin((reader as ReadableStreamBYOBReader).read(view), wait, which, limits);
        // The read transferred the buffer: the returned view's buffer is the live one (also at the end of the stream).
        if (next.value) lease.buffer = next.value.buffer as ArrayBuffer;
        if (next.done) break;
        size += next.value!.byteLength;
      } else {
        const next = await readWithin((reader as ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>).read(), wait, which, limits);
        if (next.done) break;
        ensureRoom(next.value.byteLength);
        new Uint8Array(lease.buffer).set(next.value, size);
        size += next.value.byteLength;
      }
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
    }
  } catch (e) {
    const error = e instanceof ApiError ? e : new ApiError(400, "invalid_request", "the request body could not be read (connection lost)");
    reader.cancel(error).catch(() => undefined);
    lease.release();
    throw error;
  }
  reader.releaseLock();
  return { bytes: new Uint8Array(lease.buffer, 0, size), release: lease.release };
}

function timedOut(limits: BodyReadLimits, which: "idle" | "deadline"): ApiError {
  const message =
    which === "idle" ? `no request body data for ${limits.idleTimeoutMs / 1000} s` : `the request body was not complete within ${limits.deadlineMs / 1000} s`;
  return new ApiError(408, "request_timeout", message, { idleTimeoutSeconds: limits.idleTimeoutMs / 1000, deadlineSeconds: limits.deadlineMs / 1000 });
}

async function readWithin<T>(read: Promise<T>, ms: number, which: "idle" | "deadline", limits: BodyReadLimits): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(limits, which)), ms);
  });
  try {
    return await Promise.race([read, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
