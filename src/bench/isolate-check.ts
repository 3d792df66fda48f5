// Validates the per-isolate memory method (worker-isolates.ts) on a running service: every isolate is made to hold a
// known 64 MiB ArrayBuffer, then a 64 MiB WebAssembly.Memory, and must read about +64 MiB each time, in the right part.
import { withService } from "./service-process";
import { round } from "./stats";
import { connectWorkerIsolates, type IsolateSample, type WorkerIsolate } from "./worker-isolates";

const MiB = 2 ** 20;
const SIZE_MIB = 64;

export interface IsolateCheck {
  name: string;
  /** MiB after a GC, before anything is allocated. */
  base_mb: number;
  /** Change of the isolate total and of its parts after the 64 MiB ArrayBuffer (filled, so committed). */
  array_buffer: { total: number; backing: number; js_heap: number; wasm: number };
  /** The same after a 64 MiB WebAssembly.Memory (1024 pages). */
  wasm_memory: { total: number; backing: number; js_heap: number; wasm: number };
  /** MiB after both are dropped and a GC. */
  after_release_mb: number;
  /** Both totals within 1 MiB of +64. */
  ok: boolean;
}

function delta(a: IsolateSample, b: IsolateSample): IsolateCheck["array_buffer"] {
  return {
    total: round((b.total - a.total) / MiB),
    backing: round((b.backingStorageSize - a.backingStorageSize) / MiB),
    js_heap: round((b.usedSize - a.usedSize) / MiB),
    wasm: round((b.wasmBytes - a.wasmBytes) / MiB),
  };
}

export async function checkIsolate(isolate: WorkerIsolate): Promise<IsolateCheck> {
  await isolate.collectGarbage();
  const s0 = await isolate.sample();
  await isolate.evaluate(`globalThis.__memoryCheckBuffer = new Uint8Array(${SIZE_MIB * MiB}).fill(1); 0`);
  const s1 = await isolate.sample();
  await isolate.evaluate(`globalThis.__memoryCheckWasm = new WebAssembly.Memory({ initial: ${(SIZE_MIB * MiB) / 65536} }); 0`);
  const s2 = await isolate.sample();
  await isolate.evaluate("delete globalThis.__memoryCheckBuffer; delete globalThis.__memoryCheckWasm; 0");
  await isolate.collectGarbage();
  const s3 = await isolate.sample();
  const arrayBuffer = delta(s0, s1);
  const wasmMemory = delta(s1, s2);
  return {
    name: isolate.name,
    base_mb: round(s0.total / MiB),
    array_buffer: arrayBuffer,
    wasm_memory: wasmMemory,
    after_release_mb: round(s3.total / MiB),
    ok: Math.abs(arrayBuffer.total - SIZE_MIB) <= 1 && Math.abs(wasmMemory.total - SIZE_MIB) <= 1,
  };
}

export interface IsolateCheckRun {
  bundle: string;
  /** The front isolate's wasm memory as the probe reads it, and as the worker reports ORT's (x-ort-wasm-heap-bytes). */
  front_wasm_mb: { probe: number; ort_header: number | null };
  isolates: IsolateCheck[];
  ok: boolean;
}

/** Starts the service with the bundle, scores once (ORT loaded everywhere), then checks every isolate. */
export async function runIsolateCheck(bundleDir: string, image: Uint8Array, object: string): Promise<IsolateCheckRun> {
  const options = { timeoutMs: 900_000, bundleDir, tempPrefix: "edge-anomaly-isolate-check-", inspectorProxy: false, devRegistry: false };
  return withService(options, async (service) => {
    const form = new FormData();
    form.set("object", object);
    form.set("image", new File([new Uint8Array(image)], "query.png", { type: "image/png" }));
    const response = await fetch(`${service.baseUrl}/v1/score`, { method: "POST", headers: { authorization: `Bearer ${service.apiKey}` }, body: form });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST /v1/score: HTTP ${response.status}: ${text.slice(0, 500)}`);
    const header = response.headers.get("x-ort-wasm-heap-bytes");
    const isolates = await connectWorkerIsolates(service.pgid);
    try {
      const front = await isolates[0]!.sample();
      const checks: IsolateCheck[] = [];
      for (const isolate of isolates) checks.push(await checkIsolate(isolate));
      return {
        bundle: bundleDir,
        front_wasm_mb: { probe: round(front.wasmBytes / MiB), ort_header: header === null ? null : round(Number(header) / MiB) },
        isolates: checks,
        ok: checks.every((c) => c.ok),
      };
    } finally {
      for (const isolate of isolates) isolate.close();
    }
  });
}

export function isolateCheckTable(r: IsolateCheckRun): string {
  return [
    `\n## Per-isolate memory method, ${r.bundle}: +${SIZE_MIB} MiB ArrayBuffer, then +${SIZE_MIB} MiB WebAssembly.Memory, in every isolate`,
    `front isolate wasm memory after one score: ${r.front_wasm_mb.probe} MB by the inspector probe, ${r.front_wasm_mb.ort_header ?? "n/a"} MB by the worker's x-ort-wasm-heap-bytes`,
    "| isolate | base MB | ArrayBuffer: total / backing / heap / wasm | WebAssembly.Memory: total / backing / heap / wasm | after release | ok |",
    "|---|---|---|---|---|---|",
    ...r.isolates.map((c) => {
      const d = (x: IsolateCheck["array_buffer"]) => `+${x.total} / +${x.backing} / +${x.js_heap} / +${x.wasm}`;
      return `| ${c.name} | ${c.base_mb} | ${d(c.array_buffer)} | ${d(c.wasm_memory)} | ${c.after_release_mb} | ${c.ok ? "yes" : "NO"} |`;
    }),
  ].join("\n");
}
