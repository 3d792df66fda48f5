// The front isolate under a burst of maximum-size uploads: N concurrent scores of a MAX_IMAGE_PIXELS PNG of noise
// (incompressible, so its body is near MAX_BODY_BYTES), the front isolate's memory sampled all along.
import { encode } from "fast-png";
import { withService } from "./service-process";
import { percentile, round } from "./stats";
import { connectWorkerIsolates, type IsolatePeak, sampleIsolates } from "./worker-isolates";

export interface FrontBurstOptions {
  bundleDir: string;
  concurrency: number;
  /** Square side of the upload: 2048 = the default MAX_IMAGE_PIXELS (4194304). */
  side: number;
  /** Extra worker vars (--var), e.g. admission settings. */
  vars?: Record<string, string>;
}

export interface FrontBurstResult {
  bundle: string;
  concurrency: number;
  upload: { width: number; height: number; bytes: number };
  statuses: Record<string, number>;
  /** Error codes of the non-200 answers. */
  codes: Record<string, number>;
  retry_after_s: number[];
  ok_ms: { p50: number; max: number } | null;
  /** Every isolate, the front first, peak over the burst (sampled every 50 ms). */
  isolates: IsolatePeak[];
  /** GET /v1/health limits in force. */
  limits: Record<string, number>;
}

/** An RGBA PNG of noise: deflate cannot shrink it, so its size is about width * height * 4 bytes. */
export function noisePng(side: number, seed = 1): Uint8Array {
  const data = new Uint8Array(side * side * 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return encode({ width: side, height: side, data, channels: 4, depth: 8 });
}

export async function runFrontBurst(o: FrontBurstOptions): Promise<FrontBurstResult> {
  const png = noisePng(o.side);
  const options = { timeoutMs: 900_000, bundleDir: o.bundleDir, tempPrefix: "edge-anomaly-burst-", vars: o.vars, inspectorProxy: false, devRegistry: false };
  return withService(options, async (service) => {
    const auth = { authorization: `Bearer ${service.apiKey}` };
    const health = (await (await fetch(`${service.baseUrl}/v1/health`)).json()) as { limits: Record<string, number> };
    const score = async () => {
      const form = new FormData();
      form.set("object", "bottle");
      form.set("image", new File([new Uint8Array(png)], "big.png", { type: "image/png" }));
      const start = performance.now();
      const response = await fetch(`${service.baseUrl}/v1/score`, { method: "POST", headers: auth, body: form, signal: AbortSignal.timeout(600_000) });
      const text = await response.text();
      let body: { error?: { code: string } };
      try {
        body = JSON.parse(text) as { error?: { code: string } };
      } catch {
        // wrangler dev's own answer when its connection to the front dropped: counted, not a crash of the bench.
        body = { error: { code: text.startsWith("Error: Network connection lost") ? "network_connection_lost" : "not_json" } };
      }
      return { status: response.status, code: body.error?.code, retryAfter: response.headers.get("retry-after"), ms: performance.now() - start };
    };
    // One small score first: the model is loaded, so the burst measures uploads and decodes, not the cold load.
    const warm = await score();
    if (warm.status !== 200) throw new Error(`warm-up score: HTTP ${warm.status} ${warm.code ?? ""}`);
    const isolates = await connectWorkerIsolates(service.pgid);
    try {
      for (const isolate of isolates) await isolate.collectGarbage();
      const sampler = sampleIsolates(isolates, 50);
      const results = await Promise.all(Array.from({ length: o.concurrency }, score));
      const peaks = await sampler.stop();
      const count = (keys: (string | undefined)[]) =>
        keys.reduce<Record<string, number>>((m, k) => {
          if (k !== undefined) m[k] = (m[k] ?? 0) + 1;
          return m;
        }, {});
      const ok = results.filter((r) => r.status === 200).map((r) => r.ms);
      return {
        bundle: o.bundleDir,
        concurrency: o.concurrency,
        upload: { width: o.side, height: o.side, bytes: png.length },
        statuses: count(results.map((r) => String(r.status))),
        codes: count(results.map((r) => r.code)),
        retry_after_s: results.filter((r) => r.retryAfter !== null).map((r) => Number(r.retryAfter)),
        ok_ms: ok.length > 0 ? { p50: round(percentile(ok, 50)), max: round(Math.max(...ok)) } : null,
        isolates: peaks,
        limits: health.limits,
      };
    } finally {
      for (const isolate of isolates) isolate.close();
    }
  });
}
