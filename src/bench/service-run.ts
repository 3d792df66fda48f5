// Service benchmark: one model bundle served by the real service (local workerd), timed from the client over HTTP.
import type { BenchInputs } from "./bench-inputs";
import { longFetch } from "./long-fetch";
import { groupMemory } from "./proc-memory";
import { type RunningService, withService } from "./service-process";
import { parseServerTiming } from "./server-timing";
import { percentile, round } from "./stats";
import { connectWorkerIsolates, type IsolatePeak, sampleIsolates, type WorkerIsolate } from "./worker-isolates";

export interface ServiceRunOptions extends BenchInputs {
  bundleDir: string;
  /** Warm requests per mode (zero-shot, few-shot k). */
  runs: number;
  /** Shots of the reference set (the first k of `shots`). */
  k: number;
  /** Bound on startup, and on each request. */
  timeoutMs: number;
  /** Worker vars (--var NAME:VALUE), e.g. ENGINE: "wasm". */
  vars?: Record<string, string>;
}

export type Percentiles = { p50: number; p95: number };

export interface ServiceRunResult {
  model: { name: string; quantization: string; imageSize: number };
  runs: number;
  /** `npm start` spawned -> start.ts printed that it seeded the bundle (npm, tsx and the R2 copy). */
  seeded_ms: number | null;
  /** `npm start` spawned -> GET /v1/health 200 (seeding, wrangler, workerd, the bundle opened from R2). */
  health_ms: number;
  /** The first POST /v1/score alone: ORT session creation, text features (computed), inference, map. */
  first_score_ms: number;
  first_score_timings: Record<string, number>;
  /** health_ms + first_score_ms: `npm start` spawned -> the first score answered. */
  cold_start_ms: number;
  reference_set_create_ms: number;
  /** A second set of the same shots, created after warm-up inside the sampled window (the isolate peaks include it). */
  reference_set_warm_create_ms: number;
  /** Image stage calls of one set creation (x-stage-calls; null for a single-graph bundle). */
  reference_set_stage_calls: number | null;
  /** The warm creation's Server-Timing `hop` (staged bundles). */
  reference_set_hop_ms?: number;
  reference_set_shots: number;
  /** The first few-shot score (reads the set's features from R2 and decodes the memory bank). */
  first_few_shot_ms: number;
  zero_shot_ms: Percentiles;
  few_shot_k4_ms: Percentiles;
  /** The server's `timings` (ms per stage) of the warm requests. */
  server_timings: { zero_shot: Record<string, Percentiles>; few_shot_k4: Record<string, Percentiles> };
  /**
   * The workerd that runs the worker (wrangler dev starts two: this one, with the inspector, and a small one for its
   * proxy worker on the public port): VmHWM (peak) and VmRSS (after health 200, and at the end).
   */
  workerd_peak_rss_mb: number;
  workerd_rss_after_health_mb: number;
  workerd_rss_mb: number;
  /** VmHWM summed over every workerd of the service's process group. */
  workerd_all_peak_rss_mb: number;
  workerd_processes: number;
  /** The largest x-ort-wasm-heap-bytes header seen (ORT's wasm linear memory); null if the worker does not send it. */
  ort_wasm_heap_mb: number | null;
  /** The largest x-engine-wasm-bytes header seen (the kernel memory of the engine in the front isolate; 0 when it ran none there). */
  engine_wasm_mb: number | null;
  /** x-engine-kernel of the last answer: the front isolate's engine kernel ("relaxed" or "simd"), null when the front ran none (ENGINE=ort, an fp32 bundle, or a staged bundle, whose blocks run in the stage Workers). */
  engine_kernel: string | null;
  /**
   * Every Worker isolate (the front, then each stage Worker of a staged bundle): its peak of JS heap + ArrayBuffer
   * backing stores + wasm memory, sampled through workerd's inspector every ISOLATE_SAMPLE_MS from the end of warm-up (first zero-shot score, set
   * creation, first few-shot score) to the end of the run (the cold loads are not sampled; a second, warm set creation
   * is), with the parts of that peak sample.
   */
  isolates: IsolatePeak[];
  /**
   * Staged bundles only: the median over the warm scores of the front's Server-Timing `hop` (ms of the stage RPC round
   * trips not spent inside the stages' own work) and `stages` (ms of all stage round trips).
   */
  hop_ms?: number;
  stages_ms?: number;
  /** A zero-shot score for an object with no cached text features, after warm-up (sampled), and its text tower time. */
  uncached_object_score_ms: number;
  uncached_object_text_features_ms: number | null;
  /** Requests sent twice because wrangler dev lost its connection to the front the first time (ServiceClient). */
  transport_retries: string[];
}

const ISOLATE_SAMPLE_MS = 100;

export interface Timed<T> {
  ms: number;
  body: T;
  heapBytes: number | undefined;
  serverTiming: Record<string, number>;
  /** x-stage-calls: the image stage calls a reference set's creation took (staged bundles). */
  stageCalls?: number;
}

export class ServiceClient {
  maxHeapBytes: number | undefined;
  /**
   * Requests that found wrangler dev gone: answered 500 "Network connection lost" by its entry worker or 503
   * `service_restarting` by the runner while the supervisor restarts it (with staged bundles wrangler dev exited
   * right after the first score in most runs, with or without inspector sessions or weight detaching, 2026-11-30;
   * not diagnosed). Each is sent again once the service answers /v1/health again. Reported in the result: a run with
   * retries is not a clean run, and the isolates after a restart are new.
   */
  readonly transportRetries: string[] = [];
  maxEngineBytes: number | undefined;
  engineKernel: string | null = null;

  constructor(
    private readonly service: RunningService,
    private readonly timeoutMs: number,
  ) {}

  async request<T>(method: string, path: string, body?: FormData): Promise<Timed<T>> {
    try {
      return await this.requestOnce<T>(method, path, body);
    } catch (e) {
      if (!(e instanceof TransportLost)) throw e;
      this.transportRetries.push(`${method} ${path}: ${e.message.slice(0, 120)}`);
      await this.waitUntilHealthy();
      return this.requestOnce<T>(method, path, body);
    }
  }

  private async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2_000));
      const r = await fetch(`${this.service.baseUrl}/v1/health`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      if (r?.ok) return;
      await r?.body?.cancel();
    }
    throw new Error(`the service did not come back within ${this.timeoutMs} ms`);
  }

  private async requestOnce<T>(method: string, path: string, body?: FormData): Promise<Timed<T>> {
    const start = performance.now();
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.service.apiKey}` }, signal: AbortSignal.timeout(this.timeoutMs) };
    if (body) init.body = body;
    const response = await longFetch(`${this.service.baseUrl}${path}`, init);
    const text = await response.text();
    const ms = performance.now() - start;
    const heap = response.headers.get("x-ort-wasm-heap-bytes");
    const heapBytes = heap === null ? undefined : Number(heap);
    if (heapBytes !== undefined) this.maxHeapBytes = Math.max(this.maxHeapBytes ?? 0, heapBytes);
    const engine = response.headers.get("x-engine-wasm-bytes");
    if (engine !== null) this.maxEngineBytes = Math.max(this.maxEngineBytes ?? 0, Number(engine));
    this.engineKernel = response.headers.get("x-engine-kernel") ?? this.engineKernel;
    const restarting = response.status === 503 && text.includes('"service_restarting"');
    if (restarting || (response.status === 500 && text.startsWith("Error: Network connection lost"))) throw new TransportLost(text.slice(0, 200));
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} after ${round(ms)} ms: ${text.slice(0, 2000)}`);
    const stageCalls = response.headers.get("x-stage-calls");
    return {
      ms,
      body: JSON.parse(text) as T,
      heapBytes,
      serverTiming: parseServerTiming(response.headers.get("server-timing")),
      ...(stageCalls === null ? {} : { stageCalls: Number(stageCalls) }),
    };
  }
}

class TransportLost extends Error {}

export type ScoreBody = { timings: Record<string, number>; mode: string };

function png(bytes: Uint8Array, name: string): File {
  return new File([new Uint8Array(bytes)], name, { type: "image/png" });
}

export function scoreForm(o: Pick<BenchInputs, "object" | "image">, referenceSet?: string): FormData {
  const form = new FormData();
  form.set("object", o.object);
  form.set("image", png(o.image, "query.png"));
  if (referenceSet) form.set("referenceSet", referenceSet);
  return form;
}

const p = (values: number[]): Percentiles => ({ p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) });

function stagePercentiles(samples: Record<string, number>[]): Record<string, Percentiles> {
  const stages = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  return Object.fromEntries(stages.map((stage) => [stage, p(samples.map((s) => s[stage]).filter((v): v is number => v !== undefined))]));
}

function workerdMemory(pgid: number): { peak: number; now: number; allPeak: number; count: number } {
  const procs = groupMemory(pgid, /^workerd/);
  // The user worker's workerd is the one wrangler gives an inspector; else the largest.
  const worker = procs.find((m) => m.cmdline.includes("--inspector-addr")) ?? [...procs].sort((a, b) => b.peakRssMb - a.peakRssMb)[0];
  if (!worker) throw new Error(`no workerd process in the service's process group ${pgid}`);
  return { peak: worker.peakRssMb, now: worker.rssMb, allPeak: procs.reduce((s, m) => s + m.peakRssMb, 0), count: procs.length };
}

/** Starts the service with the bundle, measures, and always stops it; a failure carries the service's last output. */
export async function runServiceBenchmark(o: ServiceRunOptions): Promise<ServiceRunResult> {
  const options = {
    timeoutMs: o.timeoutMs,
    bundleDir: o.bundleDir,
    tempPrefix: "edge-anomaly-bench-",
    inspectorProxy: false,
    devRegistry: false,
    ...(o.vars ? { vars: o.vars } : {}),
  };
  return withService(options, async (service) => {
    let isolates: WorkerIsolate[] = [];
    let sampler: ReturnType<typeof sampleIsolates> | undefined;
    try {
      // Sessions are opened after warm-up (the first zero-shot score, the reference set's creation and its first
      // few-shot score): with inspector sessions on the stage Workers' isolates during the cold first score, wrangler
      // dev exited right after it, and during the first few-shot score a stage connection dropped (500 "Network
      // connection lost"), 2026-11-30. So the cold load's peak is not in these figures (scripts/stage-heap.ts measures
      // it per stage).
      const result = await measure(o, service, async () => {
        isolates = await connectWorkerIsolates(service.pgid);
        sampler = sampleIsolates(isolates, ISOLATE_SAMPLE_MS);
      });
      if (!sampler) throw new Error("the isolates were never sampled");
      return { ...result, isolates: await sampler.stop() };
    } finally {
      await sampler?.stop().catch(() => undefined);
      for (const isolate of isolates) isolate.close();
    }
  });
}

async function measure(o: ServiceRunOptions, service: RunningService, afterWarmUp: () => Promise<void>): Promise<Omit<ServiceRunResult, "isolates">> {
  const client = new ServiceClient(service, o.timeoutMs);
  const { timeline } = service;
  const idle = workerdMemory(service.pgid);
  const first = await client.request<ScoreBody>("POST", "/v1/score", scoreForm(o));
  const health = await client.request<{ model: ServiceRunResult["model"] }>("GET", "/v1/health");

  const setForm = new FormData();
  setForm.set("object", o.object);
  o.shots.slice(0, o.k).forEach((s, i) => {
    setForm.append("images", png(s, `shot-${i}.png`));
  });
  const set = await client.request<{ id: string }>("POST", "/v1/reference-sets", setForm);
  const firstFew = await client.request<ScoreBody>("POST", "/v1/score", scoreForm(o, set.body.id));
  if (firstFew.body.mode !== "few-shot") throw new Error(`expected a few-shot answer, got mode ${firstFew.body.mode}`);
  await afterWarmUp();
  // A second set of the same shots inside the sampled window: the isolates' peaks include a set creation.
  const warmSet = await client.request<{ id: string }>("POST", "/v1/reference-sets", setForm);
  // An object with no cached text features: the text tower (its stage Workers, for a bundle with text stages) runs
  // inside the sampled window.
  const uncached = await client.request<ScoreBody>("POST", "/v1/score", scoreForm({ ...o, object: `${o.object} uncached` }));

  const zs: Timed<ScoreBody>[] = [];
  const fs: Timed<ScoreBody>[] = [];
  for (let run = 0; run < o.runs; run++) {
    zs.push(await client.request<ScoreBody>("POST", "/v1/score", scoreForm(o)));
    fs.push(await client.request<ScoreBody>("POST", "/v1/score", scoreForm(o, set.body.id)));
  }
  const memory = workerdMemory(service.pgid);
  const { name, quantization, imageSize } = health.body.model;
  const warm = [...zs, ...fs];
  const hops = warm.map((r) => r.serverTiming.hop).filter((v): v is number => v !== undefined);
  const stageTrips = warm.map((r) => r.serverTiming.stages).filter((v): v is number => v !== undefined);
  return {
    model: { name, quantization, imageSize },
    runs: o.runs,
    seeded_ms: timeline.seeded === undefined ? null : round(timeline.seeded - timeline.spawned),
    health_ms: round(timeline.healthy - timeline.spawned),
    first_score_ms: round(first.ms),
    first_score_timings: first.body.timings,
    cold_start_ms: round(timeline.healthy - timeline.spawned + first.ms),
    reference_set_create_ms: round(set.ms),
    reference_set_warm_create_ms: round(warmSet.ms),
    reference_set_stage_calls: set.stageCalls ?? null,
    ...(warmSet.serverTiming.hop !== undefined ? { reference_set_hop_ms: round(warmSet.serverTiming.hop) } : {}),
    uncached_object_score_ms: round(uncached.ms),
    uncached_object_text_features_ms: uncached.body.timings.textFeatures ?? null,
    reference_set_shots: o.k,
    first_few_shot_ms: round(firstFew.ms),
    zero_shot_ms: p(zs.map((r) => r.ms)),
    few_shot_k4_ms: p(fs.map((r) => r.ms)),
    server_timings: { zero_shot: stagePercentiles(zs.map((r) => r.body.timings)), few_shot_k4: stagePercentiles(fs.map((r) => r.body.timings)) },
    workerd_peak_rss_mb: round(memory.peak),
    workerd_rss_after_health_mb: round(idle.now),
    workerd_rss_mb: round(memory.now),
    workerd_all_peak_rss_mb: round(memory.allPeak),
    workerd_processes: memory.count,
    ort_wasm_heap_mb: client.maxHeapBytes === undefined ? null : round(client.maxHeapBytes / 2 ** 20),
    engine_wasm_mb: client.maxEngineBytes === undefined ? null : round(client.maxEngineBytes / 2 ** 20),
    engine_kernel: client.engineKernel,
    ...(hops.length > 0 ? { hop_ms: round(percentile(hops, 50)) } : {}),
    ...(stageTrips.length > 0 ? { stages_ms: round(percentile(stageTrips, 50)) } : {}),
    transport_retries: client.transportRetries,
  };
}

/** The figures as Markdown, for the bench's console output. */
export function serviceTable(bundle: string, r: ServiceRunResult): string {
  const stages = (t: Record<string, Percentiles>) =>
    Object.entries(t)
      .map(([s, v]) => `${s} ${v.p50}`)
      .join(", ");
  return [
    `\n## ${bundle} in local workerd (the real service; ${r.model.name}, ${r.model.quantization}, ${r.model.imageSize} px; ${r.runs} warm runs per mode)`,
    `cold start: ${r.cold_start_ms} ms = npm start -> /v1/health 200 ${r.health_ms} ms (of which until seeded ${r.seeded_ms ?? "?"} ms) + first /v1/score ${r.first_score_ms} ms`,
    `first score server timings: ${Object.entries(r.first_score_timings)
      .map(([s, v]) => `${s} ${v}`)
      .join(", ")}`,
    `reference set (k=${r.reference_set_shots}) POST /v1/reference-sets: ${r.reference_set_create_ms} ms (warm, sampled: ${r.reference_set_warm_create_ms} ms` +
      `${r.reference_set_hop_ms !== undefined ? `, hop ${r.reference_set_hop_ms} ms` : ""}; image stage calls ${r.reference_set_stage_calls ?? "n/a"}); first few-shot score ${r.first_few_shot_ms} ms`,
    "| mode | client p50 | client p95 | server timings p50 (ms) |",
    "|---|---|---|---|",
    `| zero-shot | ${r.zero_shot_ms.p50} | ${r.zero_shot_ms.p95} | ${stages(r.server_timings.zero_shot)} |`,
    `| few-shot k=${r.reference_set_shots} | ${r.few_shot_k4_ms.p50} | ${r.few_shot_k4_ms.p95} | ${stages(r.server_timings.few_shot_k4)} |`,
    `workerd running the worker: peak RSS (VmHWM) ${r.workerd_peak_rss_mb} MB, RSS ${r.workerd_rss_after_health_mb} MB after health, ${r.workerd_rss_mb} MB at the end` +
      ` (all ${r.workerd_processes} workerd of the service: peak ${r.workerd_all_peak_rss_mb} MB); ORT wasm heap ${r.ort_wasm_heap_mb ?? "n/a"} MB; front's engine kernel memory ${r.engine_wasm_mb ?? "n/a"} MB (${r.engine_kernel ?? "no engine in the front's isolate"})`,
    ...(r.hop_ms !== undefined ? [`stage hops: median hop ${r.hop_ms} ms of ${r.stages_ms ?? "?"} ms in stage round trips per score (Server-Timing)`] : []),
    "| isolate | peak MB (JS heap + backing stores + wasm) | JS heap | backing | wasm | samples |",
    "|---|---|---|---|---|---|",
    ...r.isolates.map((i) => `| ${i.name} | ${i.peak_mb} | ${i.js_heap_mb} | ${i.backing_mb} | ${i.wasm_mb} | ${i.samples} |`),
  ].join("\n");
}

/** Runs every bundle in turn; failures are kept (with the exact error) rather than thrown. */
export async function runServiceBenchmarks(
  models: string[],
  inputs: BenchInputs,
  runs: number,
  print: (text: string) => void,
  vars?: Record<string, string>,
): Promise<{ service: Record<string, unknown>; best: { model: string; result: ServiceRunResult } | undefined; failed: number }> {
  const byModel: Record<string, ServiceRunResult | { error: string }> = {};
  let best: { model: string; result: ServiceRunResult } | undefined;
  let failed = 0;
  for (const model of models) {
    process.stderr.write(`${model}: the real service (npm start, local workerd)...\n`);
    try {
      const result = await runServiceBenchmark({ ...inputs, bundleDir: model, runs, k: 4, timeoutMs: 900_000, ...(vars ? { vars } : {}) });
      byModel[model] = result;
      print(serviceTable(model, result));
      if (!best || result.zero_shot_ms.p50 < best.result.zero_shot_ms.p50) best = { model, result };
    } catch (e) {
      const error = (e as Error).message;
      byModel[model] = { error };
      failed++;
      print(`\n## ${model} in local workerd: FAILED\n${error}`);
    }
  }
  return { service: { ...(best ? { configuration: best.model, ...best.result } : {}), models: byModel }, best, failed };
}
