// CLI: how fast the front Worker isolate's JS heap gains old-generation garbage per score, and its backing stores'
// peak. Starts the service (demo model), warms up, forces a full collection through workerd's own inspector
// (HeapProfiler.collectGarbage), then runs N sequential zero-shot scores reading Runtime.getHeapUsage after each. The
// lowest used size per block of 25 scores is the old generation plus a nearly empty young one: its slope is the garbage
// a score leaves for the next full collection. A drop of more than 0.2 MB is a full collection; the slope is fitted after
// the last one. Ends with another forced collection: what stays is retained, not garbage.
import { parseArgs } from "node:util";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { openFrontHeapSession, scoreOnce } from "../src/bench/front-heap-session";
import type { HeapUsage } from "../src/bench/isolate-memory";
import { startService } from "../src/bench/service-process";

const { values } = parseArgs({ options: { requests: { type: "string", default: "300" }, warmup: { type: "string", default: "20" } } });
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const BLOCK = 25;
if (!Number.isInteger(requests) || requests < 2 * BLOCK || !Number.isInteger(warmup) || warmup < 1) {
  console.error(`usage: npx tsx scripts/heap-growth.ts [--requests N >= ${2 * BLOCK}] [--warmup N >= 1]`);
  process.exit(2);
}
const inputs = loadBenchInputs(0);
const MB = 1e6;

const service = await startService({ timeoutMs: 600_000, tempPrefix: "edge-anomaly-heapgrowth-", inspectorProxy: false, devRegistry: false });
const score = () => scoreOnce(service, inputs);

try {
  for (let i = 0; i < warmup; i++) await score();
  const c = await openFrontHeapSession(service.pgid);
  const usage = () => c.call<HeapUsage>("Runtime.getHeapUsage");
  await c.call("HeapProfiler.collectGarbage");
  const start = await usage();
  console.log(`after a full collection: JS heap ${(start.usedSize / MB).toFixed(2)} MB, backing stores ${(start.backingStorageSize / MB).toFixed(2)} MB`);
  const minima: number[] = [];
  let low = Number.POSITIVE_INFINITY;
  let backingPeak = 0;
  let usedPeak = 0;
  const t0 = Date.now();
  for (let i = 1; i <= requests; i++) {
    await score();
    const h = await usage();
    low = Math.min(low, h.usedSize);
    usedPeak = Math.max(usedPeak, h.usedSize);
    backingPeak = Math.max(backingPeak, h.backingStorageSize);
    if (i % BLOCK === 0) {
      minima.push(low);
      low = Number.POSITIVE_INFINITY;
    }
  }
  let from = 0;
  for (let k = 1; k < minima.length; k++) if (minima[k]! < minima[k - 1]! - 0.2 * MB) from = k;
  const ys = minima.slice(from);
  if (ys.length < 3) {
    // A line through fewer than 3 blocks says nothing (one block: no slope at all).
    console.log(`JS heap lowest per ${BLOCK} scores (MB): ${minima.map((m) => (m / MB).toFixed(2)).join(" ")}`);
    throw new Error(
      `only ${ys.length} block(s) of ${BLOCK} scores after the last full collection (block ${from + 1} of ${minima.length}): no growth fitted; run with more --requests`,
    );
  }
  const xs = ys.map((_, k) => k * BLOCK);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, k) => a + (x - mx) * (ys[k]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  await c.call("HeapProfiler.collectGarbage");
  const end = await usage();
  console.log(`${requests} scores in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`JS heap lowest per ${BLOCK} scores (MB): ${minima.map((m) => (m / MB).toFixed(2)).join(" ")}`);
  console.log(
    `old-generation growth ${(slope / 1024).toFixed(2)} kB per score (fitted over ${ys.length} blocks${from > 0 ? ", after a full collection" : ""}); ` +
      `peaks: JS heap ${(usedPeak / MB).toFixed(2)} MB, backing stores ${(backingPeak / MB).toFixed(2)} MB; ` +
      `after a full collection: JS heap ${(end.usedSize / MB).toFixed(2)} MB, backing stores ${(end.backingStorageSize / MB).toFixed(2)} MB`,
  );
  c.socket.close();
} catch (e) {
  console.error(`${(e as Error).message}\n--- service output (last lines) ---\n${service.log()}`);
  process.exitCode = 1;
} finally {
  await service.stop();
}
