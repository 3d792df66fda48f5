// Memory soak of the real service: many zero-shot scores, the worker isolate's memory sampled through its inspector.
//
// Isolate memory = JS heap used + ArrayBuffer backing stores (Runtime.getHeapUsage) + its WebAssembly memories (ORT's
// wasm heap), read through workerd's own inspector (worker-isolates.ts), not wrangler's inspector proxy: with
// `--inspector-port`, wrangler dev exited under 16 concurrent score loops (3 of 3 runs, 2026-11-30), without it not
// (0 of 2). Start the service with `inspectorProxy: false, devRegistry: false`. Request garbage is collected late, so
// a sample shows wherever the sawtooth is; the peak over many samples is what an isolate limit would meet.
import { groupMemory } from "./proc-memory";
import type { RunningService } from "./service-process";
import { percentile, round } from "./stats";
import { type IsolateSample, withWorkerIsolates } from "./worker-isolates";

export interface SoakOptions {
  /** Scores to send (ignored when `seconds` is set). */
  requests: number;
  concurrency: number;
  /** Run for this long instead of a fixed count. */
  seconds?: number;
  /** Sample the isolate after every this many completed requests. */
  sampleEvery: number;
  /** Print a memory line after every this many completed requests. */
  reportEvery: number;
  image: Uint8Array;
  object: string;
  /** multipart/form-data with the image as a file part (default), or JSON with the image in base64. */
  body?: "multipart" | "json";
  timeoutMs: number;
  print: (line: string) => void;
  /** Sequential scores before the inspector attaches and the run starts (not counted): the model is then loaded. */
  warmup?: number;
}

export interface SoakSample {
  /** Requests completed when the sample was taken. */
  done: number;
  usedMb: number;
  backingMb: number;
  wasmMb: number;
  totalMb: number;
}

export interface SoakResult {
  requests: number;
  concurrency: number;
  seconds: number;
  /** Requests in each of the compared windows: min(1000, a fifth of the run). */
  window: number;
  samples: number;
  /** Peak isolate memory (JS heap + backing stores + wasm) over the first and the last window. */
  first_peak_mb: number;
  last_peak_mb: number;
  /** Peak JS heap alone (usedSize) over the first and the last window. */
  js_heap_peak_mb: { first: number; last: number };
  /** last_peak / first_peak. */
  last_over_first: number;
  peak_mb: number;
  /** Flat (last within 10% of first) and the peak below `limit_mb`. */
  flat: boolean;
  limit_mb: number;
  below_limit: boolean;
  wasm_mb: number;
  /** Of the 200 answers. */
  latency_ms: { p50: number; p95: number; max: number };
  /** 200 answers. */
  ok: number;
  /** Deliberate 503 overloaded answers (the admission queue was full: expected beyond ADMISSION_MAX_REQUESTS). */
  overloaded: number;
  /** Anything else: errors, other statuses, no answer. */
  non_200: number;
  workerd_rss_mb: { start: number; end: number };
  /** One row per `reportEvery` requests: the peak over that stretch. */
  stretches: { done: number; peak_mb: number; used_mb: number; backing_mb: number; wasm_mb: number; rss_mb: number; p50_ms: number }[];
}

const MB = 2 ** 20;
export const ISOLATE_LIMIT_MB = 64;

function workerdRssMb(pgid: number): number {
  const procs = groupMemory(pgid, /^workerd/);
  const worker = procs.find((m) => m.cmdline.includes("--inspector-addr")) ?? [...procs].sort((a, b) => b.rssMb - a.rssMb)[0];
  return worker ? round(worker.rssMb) : Number.NaN;
}

export async function runSoak(service: RunningService, o: SoakOptions): Promise<SoakResult> {
  for (let i = 0; i < (o.warmup ?? 0); i++) {
    const form = new FormData();
    form.set("object", o.object);
    form.set("image", new File([new Uint8Array(o.image)], "query.png", { type: "image/png" }));
    const response = await fetch(`${service.baseUrl}/v1/score`, {
      method: "POST",
      headers: { authorization: `Bearer ${service.apiKey}` },
      body: form,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    if (response.status !== 200) throw new Error(`warm-up score: HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    await response.arrayBuffer();
  }
  // The front Worker: the only one of a bundle without stages.
  return withWorkerIsolates(service.pgid, (isolates) => soak(service, o, () => isolates[0]!.sample()));
}

async function soak(service: RunningService, o: SoakOptions, isolateMemory: () => Promise<IsolateSample>): Promise<SoakResult> {
  const image = new Uint8Array(o.image);
  const samples: SoakSample[] = [];
  const latencies: number[] = [];
  const stretches: SoakResult["stretches"] = [];
  let wasmBytes = 0;
  let started = 0;
  let done = 0;
  let nonOk = 0;
  let ok = 0;
  let overloaded = 0;
  let lastError = "";
  let stretchStart = 0;
  let latencyStart = 0;
  const rssStart = workerdRssMb(service.pgid);
  const t0 = performance.now();
  const deadline = o.seconds !== undefined ? t0 + o.seconds * 1000 : Number.POSITIVE_INFINITY;
  const more = () => (o.seconds !== undefined ? performance.now() < deadline : started < o.requests);

  const sample = async () => {
    const h = await isolateMemory();
    if (h.wasmBytes > wasmBytes) wasmBytes = h.wasmBytes;
    const s: SoakSample = {
      done,
      usedMb: h.usedSize / MB,
      backingMb: h.backingStorageSize / MB,
      wasmMb: h.wasmBytes / MB,
      totalMb: h.total / MB,
    };
    samples.push(s);
    return s;
  };

  const report = (s: SoakSample) => {
    const stretch = samples.filter((x) => x.done > stretchStart && x.done <= s.done);
    const row = {
      done: s.done,
      peak_mb: round(Math.max(...stretch.map((x) => x.totalMb))),
      used_mb: round(s.usedMb),
      backing_mb: round(s.backingMb),
      wasm_mb: round(s.wasmMb),
      rss_mb: workerdRssMb(service.pgid),
      p50_ms: round(percentile(latencies.slice(latencyStart), 50)),
    };
    stretches.push(row);
    stretchStart = s.done;
    latencyStart = latencies.length;
    o.print(
      `${String(row.done).padStart(6)} requests: isolate peak ${row.peak_mb} MB (now heap ${row.used_mb} + backing ${row.backing_mb} + wasm ${row.wasm_mb} MB); workerd RSS ${row.rss_mb} MB; p50 ${row.p50_ms} ms`,
    );
  };

  const json = o.body === "json" ? JSON.stringify({ object: o.object, image: Buffer.from(image).toString("base64") }) : "";
  const multipart = () => {
    const form = new FormData();
    form.set("object", o.object);
    form.set("image", new File([image], "query.png", { type: "image/png" }));
    return form;
  };
  const worker = async () => {
    while (more()) {
      started++;
      const begin = performance.now();
      try {
        const response = await fetch(`${service.baseUrl}/v1/score`, {
          method: "POST",
          headers: { authorization: `Bearer ${service.apiKey}`, ...(o.body === "json" ? { "content-type": "application/json" } : {}) },
          body: o.body === "json" ? json : multipart(),
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        const text = await response.text();
        if (response.status === 200) {
          ok++;
          latencies.push(performance.now() - begin);
        } else if (response.status === 503 && text.includes('"overloaded"')) {
          overloaded++;
        } else {
          nonOk++;
          lastError = `HTTP ${response.status}: ${text.slice(0, 300)}`;
        }
      } catch (e) {
        nonOk++;
        lastError = (e as Error).message;
      }
      done++;
      const n = done;
      if (n % o.sampleEvery === 0) {
        const s = await sample();
        if (n % o.reportEvery === 0) report(s);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const last = await sample();
  if (stretchStart < done) report(last);
  const seconds = (performance.now() - t0) / 1000;

  const window = Math.min(1000, Math.max(1, Math.floor(done / 5)));
  const peak = (xs: SoakSample[], of: (x: SoakSample) => number = (x) => x.totalMb) => Math.max(...xs.map(of));
  const firstSamples = samples.filter((s) => s.done <= window);
  const lastSamples = samples.filter((s) => s.done > done - window);
  if (firstSamples.length === 0 || lastSamples.length === 0) {
    throw new Error(`no isolate sample in the first or the last ${window} of ${done} requests: sample more often (--sample-every)`);
  }
  const firstPeak = peak(firstSamples);
  const lastPeak = peak(lastSamples);
  const overall = peak(samples);
  if (nonOk > 0) o.print(`${nonOk} requests did not answer 200; the last: ${lastError}`);
  return {
    requests: done,
    concurrency: o.concurrency,
    seconds: round(seconds),
    window,
    samples: samples.length,
    first_peak_mb: round(firstPeak),
    last_peak_mb: round(lastPeak),
    js_heap_peak_mb: { first: round(peak(firstSamples, (x) => x.usedMb)), last: round(peak(lastSamples, (x) => x.usedMb)) },
    last_over_first: round(lastPeak / firstPeak),
    peak_mb: round(overall),
    flat: lastPeak <= firstPeak * 1.1,
    limit_mb: ISOLATE_LIMIT_MB,
    below_limit: overall < ISOLATE_LIMIT_MB,
    wasm_mb: round(wasmBytes / MB),
    latency_ms: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(Math.max(...latencies)) },
    ok,
    overloaded,
    non_200: nonOk,
    workerd_rss_mb: { start: rssStart, end: workerdRssMb(service.pgid) },
    stretches,
  };
}
