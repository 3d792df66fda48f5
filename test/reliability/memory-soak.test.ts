// Memory soak against the real service: sequential zero-shot scores of a 0.5 MB PNG, the worker isolate's memory
// (JS heap + ArrayBuffer backing stores + its wasm memory) sampled through workerd's inspector every 25 requests.
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadBenchInputs } from "../../src/bench/bench-inputs";
import { startService, type RunningService } from "../../src/bench/service-process";
import { runSoak } from "../../src/bench/soak-run";
import { recordRow } from "./report";
import { healthyAfter } from "./service-checks";

const REQUESTS = 600;
let service: RunningService;

beforeAll(async () => {
  // Measured through workerd's own inspector (see soak-run.ts): no wrangler inspector proxy, no dev registry.
  service = await startService({ timeoutMs: 240_000, tempPrefix: "edge-anomaly-reliability-soak-", inspectorProxy: false, devRegistry: false });
});

afterAll(async () => {
  await service?.stop();
});

it(`${REQUESTS} sequential zero-shot scores all succeed and the service stays healthy; the isolate's memory is reported`, async () => {
  const inputs = loadBenchInputs(0);
  const r = await runSoak(service, {
    requests: REQUESTS,
    concurrency: 1,
    sampleEvery: 25,
    reportEvery: 100,
    image: inputs.image,
    object: inputs.object,
    timeoutMs: 60_000,
    print: (line) => console.log(line),
  });
  // The isolate's memory is reported against the 64 MB target (flat within 10%), not asserted: its peaks are garbage
  // that waits for workerd's collections (README "Memory"), and a 600-score run sees few of them.
  const targetMet = r.flat && r.below_limit;
  recordRow({
    attack: `soak: ${r.requests} sequential zero-shot scores (${inputs.source})`,
    outcome:
      `${targetMet ? "" : "TARGET NOT MET (open): "}isolate peak (heap + backing stores + wasm) first ${r.window} ${r.first_peak_mb} MB, last ${r.window} ${r.last_peak_mb} MB ` +
      `(x${r.last_over_first}), max ${r.peak_mb} MB vs ${r.limit_mb} MB; ${r.non_200} non-200; p50 ${r.latency_ms.p50} ms`,
    passed: targetMet,
    figures: {
      requests: r.requests,
      first_peak_mb: r.first_peak_mb,
      last_peak_mb: r.last_peak_mb,
      peak_mb: r.peak_mb,
      wasm_mb: r.wasm_mb,
      js_heap_first_peak_mb: r.js_heap_peak_mb.first,
      js_heap_last_peak_mb: r.js_heap_peak_mb.last,
      non_200: r.non_200,
      workerd_rss_end_mb: r.workerd_rss_mb.end,
    },
  });
  expect(r.non_200).toBe(0);
  expect(await healthyAfter(service)).toEqual({ health: 200, score: 200 });
});
