// CLI: where a score's surviving JS-heap allocations come from. Starts the service (demo model), warms up, then runs a
// V8 sampling heap profile of the front Worker isolate (through workerd's own inspector) over N sequential zero-shot
// scores and prints the allocation sites by bytes per score, top frames first.
// --survivors (default): objects collected by minor GCs are left out, i.e. what survived a young-generation collection
// (promoted or about to be). --all: every allocation.
import { parseArgs } from "node:util";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { openFrontHeapSession, scoreOnce } from "../src/bench/front-heap-session";
import { startService } from "../src/bench/service-process";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "150" },
    warmup: { type: "string", default: "20" },
    interval: { type: "string", default: "2048" },
    all: { type: "boolean", default: false },
    top: { type: "string", default: "40" },
    depth: { type: "string", default: "4" },
  },
});
const requests = Number(values.requests);
const inputs = loadBenchInputs(0);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: ProfileNode[];
}

const service = await startService({ timeoutMs: 600_000, tempPrefix: "edge-anomaly-heapprof-", inspectorProxy: false, devRegistry: false });
const score = () => scoreOnce(service, inputs);
try {
  for (let i = 0; i < Number(values.warmup); i++) await score().catch((e) => console.log(`warm-up: ${(e as Error).message.slice(0, 80)}`));
  const c = await openFrontHeapSession(service.pgid);
  await c.call("HeapProfiler.startSampling", {
    samplingInterval: Number(values.interval),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: values.all,
  });
  const t0 = Date.now();
  // The bundle wrangler dev serves, to show the source line of each site.
  const { readdirSync, readFileSync, statSync } = await import("node:fs");
  const tmp = ".wrangler/tmp";
  const dev = readdirSync(tmp)
    .filter((d) => d.startsWith("dev-"))
    .sort((a, b) => statSync(`${tmp}/${b}`).mtimeMs - statSync(`${tmp}/${a}`).mtimeMs)[0];
  const bundleLines = dev ? readFileSync(`${tmp}/${dev}/worker.js`, "utf8").split("\n") : [];
  for (let i = 0; i < requests; i++) await score();
  const { profile } = await c.call<{ profile: { head: ProfileNode } }>("HeapProfiler.stopSampling");
  console.log(`${requests} scores in ${(Date.now() - t0) / 1000} s; ${values.all ? "all allocations" : "survivors of minor GCs"}`);
  const depth = Number(values.depth);
  const bySite = new Map<string, number>();
  let total = 0;
  const frame = (f: CallFrame) => `${f.functionName || "(anon)"}@${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
  const walk = (node: ProfileNode, stack: string[]) => {
    const s = [frame(node.callFrame), ...stack];
    if (node.selfSize > 0) {
      const key = s.slice(0, depth).join(" < ");
      bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, s);
  };
  walk(profile.head, []);
  console.log(`total ${(total / requests / 1024).toFixed(1)} kB per score`);
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    console.log(`${(v / requests / 1024).toFixed(2).padStart(8)} kB  ${k}`);
    const m = /worker\.js:(\d+):(\d+)/.exec(k);
    if (m) console.log(`            ${bundleLines[Number(m[1]) - 1]?.slice(Math.max(0, Number(m[2]) - 60), Number(m[2]) + 60).trim()}`);
  }
  c.socket.close();
} catch (e) {
  console.error(`${(e as Error).message}\n--- service output (last lines) ---\n${service.log()}`);
  process.exitCode = 1;
} finally {
  await service.stop();
}
