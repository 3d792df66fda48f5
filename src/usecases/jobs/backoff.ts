// Retry delays of the job queue: exponential, capped; the number of attempts is the consumer's max_retries in wrangler.toml.

/** First retry after 30 s, doubling: 30, 60, 120, 240, 480, 960, 1920, 3600 s; with max_retries = 8 about 2 h 4 min in all. */
export const DEFAULT_BACKOFF_BASE_SECONDS = 30;
export const MAX_BACKOFF_SECONDS = 3600;
/** 1 + max_retries of the job queue's consumer in wrangler.toml: webhook POSTs per job before it is dead-lettered. */
export const MAX_DELIVERY_ATTEMPTS = 9;

/** The delay before attempt `attempts + 1`, given the 1-based number of the attempt that just failed. */
export function backoffSeconds(attempts: number, baseSeconds = DEFAULT_BACKOFF_BASE_SECONDS): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  return Math.min(Math.round(baseSeconds * 2 ** exponent), MAX_BACKOFF_SECONDS);
}

/** WEBHOOK_BACKOFF_BASE_SECONDS when set to a number >= 0, else the default. */
export function backoffBase(value: string | undefined): number {
  const n = value === undefined || value.trim() === "" ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_BACKOFF_BASE_SECONDS;
}
