// Node-only: whether a /v1/health answer came from the Worker itself, i.e. wrangler dev is up and serving it.

/**
 * True for a 2xx, and for a 500 that is one of the Worker's own JSON errors (`{"error":{"code":...}}`): a Worker that
 * cannot serve its configuration (e.g. ENGINE=wasm on an fp32 bundle) answers 500 internal on every request, and
 * clients must see that answer, not 503 "wrangler dev is starting" for as long as it runs. A 503 (model, storage or a
 * stage Worker not there yet) may mend while wrangler dev comes up, and anything else (wrangler's own error pages while
 * it loads the script) is not the Worker's answer: neither counts.
 */
export function workerAnswered(status: number, body: string): boolean {
  if (status >= 200 && status < 300) return true;
  if (status !== 500) return false;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } } | null;
    return typeof parsed?.error?.code === "string";
  } catch {
    return false;
  }
}
