// Request limits from the worker's vars (strings in wrangler.toml), with defaults for unset or invalid values.
import type { Env } from "../platform/env";

export interface Limits {
  /** Largest request body in bytes; checked from Content-Length and while streaming, before parsing. */
  maxBodyBytes: number;
  /** Largest width * height of one image; checked from the image header before decoding. */
  maxImagePixels: number;
}

export const DEFAULT_LIMITS: Limits = { maxBodyBytes: 20 * 1024 * 1024, maxImagePixels: 4 * 1024 * 1024 };

/** Reference shots per set, inclusive bounds. */
export const MIN_SHOTS = 1;
export const MAX_SHOTS = 16;

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function limitsOf(env: Pick<Env, "MAX_BODY_BYTES" | "MAX_IMAGE_PIXELS">): Limits {
  return {
    maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, DEFAULT_LIMITS.maxBodyBytes),
    maxImagePixels: positiveInt(env.MAX_IMAGE_PIXELS, DEFAULT_LIMITS.maxImagePixels),
  };
}
