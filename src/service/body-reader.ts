// Reads a request body whole, within a size limit, an idle timeout and a deadline; on any failure the stream is cancelled.
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

/**
 * The body's bytes. Throws 413 (payload_too_large) before reading when Content-Length is over the limit and as soon
 * as a stream passes it, 408 (request_timeout) when no chunk arrives within the idle timeout or the body is not
 * complete by the deadline, 400 (invalid_request) when the client's connection breaks. In every failure the rest of
 * the stream is cancelled, so nothing is left half-read for the runtime to drain.
 */
export async function readBodyBytes(request: Request, limits: BodyReadLimits): Promise<Uint8Array<ArrayBuffer>> {
  const body = request.body;
  if (!body) return new Uint8Array(new ArrayBuffer(0));
  const declared = declaredLength(request.headers);
  if (declared !== undefined && declared > limits.maxBytes) {
    const error = tooLarge(limits.maxBytes);
    cancelQuietly(body, error);
    throw error;
  }
  const reader = (body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  const deadline = Date.now() + limits.deadlineMs;
  try {
    for (;;) {
      const wait = Math.min(limits.idleTimeoutMs, deadline - Date.now());
      if (wait <= 0) throw timedOut(limits, "deadline");
      const next = await readWithin(reader, wait, deadline - Date.now() <= limits.idleTimeoutMs ? "deadline" : "idle", limits);
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(next.value);
    }
  } catch (e) {
    const error = e instanceof ApiError ? e : new ApiError(400, "invalid_request", "the request body could not be read (connection lost)");
    reader.cancel(error).catch(() => undefined);
    throw error;
  }
  reader.releaseLock();
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function timedOut(limits: BodyReadLimits, which: "idle" | "deadline"): ApiError {
  const message =
    which === "idle" ? `no request body data for ${limits.idleTimeoutMs / 1000} s` : `the request body was not complete within ${limits.deadlineMs / 1000} s`;
  return new ApiError(408, "request_timeout", message, { idleTimeoutSeconds: limits.idleTimeoutMs / 1000, deadlineSeconds: limits.deadlineMs / 1000 });
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  ms: number,
  which: "idle" | "deadline",
  limits: BodyReadLimits,
): Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(limits, which)), ms);
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
