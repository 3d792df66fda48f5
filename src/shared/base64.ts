// Strict base64 (standard alphabet, optional padding, optional data: URL prefix): for request and response bodies.

const DATA_URL = /^data:[^,]*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SEXTETS = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;

/** The base64 text of `text` without a data: URL prefix and whitespace, or undefined when it is not valid base64. */
function base64Body(text: string): string | undefined {
  const body = text.replace(DATA_URL, "").replace(/\s+/g, "");
  if (body.length === 0 || !BASE64.test(body) || body.length % 4 === 1) return undefined;
  return body;
}

/**
 * Decodes `text` into the start of `out` (atob's rules: padding only on a multiple of 4 characters, trailing bits
 * ignored) and returns that view, or undefined when `text` is not valid base64 or does not fit.
 */
export function decodeBase64Into(text: string, out: Uint8Array): Uint8Array | undefined {
  const body = base64Body(text);
  if (body === undefined) return undefined;
  let n = body.length;
  if (n % 4 === 0) n -= body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
  const pad = body.indexOf("=");
  if ((pad !== -1 && pad < n) || n % 4 === 1) return undefined;
  const length = Math.floor((n * 3) / 4);
  if (length > out.length) return undefined;
  let o = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v =
      (SEXTETS[body.charCodeAt(i)]! << 18) |
      (SEXTETS[body.charCodeAt(i + 1)]! << 12) |
      (SEXTETS[body.charCodeAt(i + 2)]! << 6) |
      SEXTETS[body.charCodeAt(i + 3)]!;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (n - i >= 2) {
    const v = (SEXTETS[body.charCodeAt(i)]! << 18) | (SEXTETS[body.charCodeAt(i + 1)]! << 12) | (n - i === 3 ? SEXTETS[body.charCodeAt(i + 2)]! << 6 : 0);
    out[o++] = v >> 16;
    if (n - i === 3) out[o++] = (v >> 8) & 255;
  }
  return out.subarray(0, o);
}

/** The bytes of `text`, or undefined when it is not valid base64 (empty counts as invalid). */
export function decodeBase64(text: string): Uint8Array | undefined {
  const body = base64Body(text);
  if (body === undefined) return undefined;
  let binary: string;
  try {
    binary = atob(body);
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** ASCII output of `encodeBase64`, reused (encoding has no await); one of up to 4 MB is kept between calls. */
let encodeScratch = new Uint8Array(0);
const KEEP_ENCODE_SCRATCH = 4 * 2 ** 20;
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const asciiDecoder = new TextDecoder();

/** Characters of the padded base64 of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Writes the padded base64 of `bytes` as ASCII into `out` from `at` (room for base64Length); returns the end. */
export function encodeBase64Into(bytes: Uint8Array, out: Uint8Array, at: number): number {
  const a = ALPHABET_CODES;
  let o = at;
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = a[v >> 18]!;
    out[o++] = a[(v >> 12) & 63]!;
    out[o++] = a[(v >> 6) & 63]!;
    out[o++] = a[v & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const v = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = a[v >> 18]!;
    out[o++] = a[(v >> 12) & 63]!;
    out[o++] = rest === 2 ? a[(v >> 6) & 63]! : 61;
    out[o++] = 61;
  }
  return o;
}

/**
 * Standard base64 with padding. Written as ASCII bytes and decoded to a string once: building a binary string with
 * String.fromCharCode(...chunk) allocated a large argument array per 32 kB (about 3 MB of JS heap per map, held in
 * the large-object space until a full collection).
 */
export function encodeBase64(bytes: Uint8Array): string {
  const length = base64Length(bytes.length);
  const out = length <= encodeScratch.length ? encodeScratch : new Uint8Array(length);
  if (out !== encodeScratch && length <= KEEP_ENCODE_SCRATCH) encodeScratch = out;
  encodeBase64Into(bytes, out, 0);
  return asciiDecoder.decode(out.subarray(0, length));
}

/**
 * Bytes that serialise to JSON as their base64 string (toJSON), and that a byte writer (src/service/json-bytes.ts)
 * writes as base64 straight into its output without making that string: a map PNG in a score response.
 */
export class Base64Bytes {
  /** Set by `collectBase64Bytes` during one synchronous JSON.stringify. */
  private static collector: Base64Bytes[] | undefined;

  constructor(readonly bytes: Uint8Array) {}

  toJSON(): string {
    const collector = Base64Bytes.collector;
    if (!collector) return encodeBase64(this.bytes);
    collector.push(this);
    return `${BASE64_MARK}${collector.length - 1}`;
  }

  /** Runs `stringify` with every Base64Bytes serialised as BASE64_MARK + its index in `found`. */
  static collect(found: Base64Bytes[], stringify: () => string): string {
    Base64Bytes.collector = found;
    try {
      return stringify();
    } finally {
      Base64Bytes.collector = undefined;
    }
  }
}

/** What a collected Base64Bytes serialises to (NUL, as JSON writes it: `\u0000`), followed by its index. */
export const BASE64_MARK = "\u0000";
