// CLI: which allocation sites of a zero-shot score leave JS-heap garbage that survives young-generation collections.
// Runs the real service (npm start), warms it up, then takes a V8 sampling heap profile of the worker isolate over N
// sequential scores through workerd's own inspector. By default the profile keeps the objects still alive or
// collected by full (mark-compact) collections, and leaves out those young-generation collections freed: what a score
// promotes to the old generation, which waits for a full collection. --all keeps every allocation.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { connectDevtools } from "../src/bench/isolate-memory";
import { startService } from "../src/bench/service-process";
import { findWorkerTargets } from "../src/bench/worker-isolates";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "150" },
    warmup: { type: "string", default: "20" },
    interval: { type: "string", default: "2048" },
    top: { type: "string", default: "25" },
    all: { type: "boolean", default: false },
  },
});
const [n, warmup, interval, top] = [values.requests, values.warmup, values.interval, values.top].map(Number);
if (![n, warmup, interval, top].every((v) => Number.isInteger(v) && v! > 0)) {
  console.error("usage: npm run heap-profile -- [--requests N] [--warmup N] [--interval BYTES] [--top K] [--all]");
  process.exit(2);
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: ProfileNode[];
}

const inputs = loadBenchInputs(0);
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
const service = await startService({ timeoutMs: 600_000, tempPrefix: "edge-anomaly-heap-profile-", inspectorProxy: false, devRegistry: false });
try {
  const score = async () => {
    const form = new FormData();
    form.set("object", inputs.object);
    form.set("image", new File([new Uint8Array(inputs.image)], "query.png", { type: "image/png" }));
    const response = await fetch(`${service.baseUrl}/v1/score`, { method: "POST", headers: { authorization: `Bearer ${service.apiKey}` }, body: form });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  };
  for (let i = 0; i < warmup!; i++) await score();
  const { workers } = await findWorkerTargets(service.pgid);
  // workerd now and then closes a freshly opened session after the next request (worker-isolates.ts): a session that
  // survives a score is kept, since the profile lives in the session.
  let devtools = await connectDevtools(workers[0]!.url, 30_000);
  for (let attempt = 1; ; attempt++) {
    await devtools.call("HeapProfiler.enable");
    await score();
    await new Promise((r) => setTimeout(r, 500));
    if (devtools.socket.readyState === WebSocket.OPEN) break;
    if (attempt === 5) throw new Error("workerd closed every inspector session");
    devtools = await connectDevtools(workers[0]!.url, 30_000);
  }
  await devtools.call("HeapProfiler.startSampling", {
    samplingInterval: interval,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: values.all,
  });
  for (let i = 0; i < n!; i++) await score();
  const { profile } = await devtools.call<{ profile: { head: ProfileNode } }>("HeapProfiler.getSamplingProfile");
  await devtools.call("HeapProfiler.stopSampling");
  devtools.socket.close();

  // Self sizes per function (the bundle's function name and line).
  const bySite = new Map<string, number>();
  const walk = (node: ProfileNode) => {
    const f = node.callFrame;
    const site = `${f.functionName || "(anonymous)"} ${f.url.replace(/.*\//, "")}:${f.lineNumber + 1}`;
    if (node.selfSize > 0) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children ?? []) walk(child);
  };
  walk(profile.head);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  const perRequest = (bytes: number) => Math.round((bytes / n! / 1024) * 100) / 100;
  const kind = values.all ? "all allocations" : "surviving young-generation collections";
  console.log(`heap profile ${new Date().toISOString()} commit ${commit}: ${n} zero-shot scores after ${warmup}, ${kind}: ${perRequest(total)} kB per score`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${String(perRequest(bytes)).padStart(8)} kB  ${site}`);
  console.log(JSON.stringify({ heap_profile: { commit, requests: n, all: values.all, kb_per_score: perRequest(total) } }));
} finally {
  await service.stop();
}
