// Served A/B in one run: the same bundle served twice at once (local workerd), side B with some worker vars changed
// (e.g. ENGINE=ort), and one zero-shot score per side per cycle, the first side alternating, so that a shared machine
// whose speed drifts over seconds to minutes moves both sides of a cycle alike.
import type { BenchInputs } from "./bench-inputs";
import { type PairedMeasure, pairedMeasures } from "./interleaved-report";
import { rotation, runCycles } from "./interleaved-runs";
import { cpuDeltaMs, threadCpuNs } from "./proc-cpu";
import { groupMemory } from "./proc-memory";
import { type RunningService, startService } from "./service-process";
import { type ScoreBody, ServiceClient, scoreForm, type Timed } from "./service-run";
import { round } from "./stats";

export interface ServedInterleavedOptions {
  bundleDir: string;
  inputs: Pick<BenchInputs, "object" | "image">;
  cycles: number;
  /** Zero-shot scores per side before the cycles (the first one loads the model), alternating as the cycles do. */
  warmUps: number;
  /** Side A's worker vars (--var); side B's are these with `versus` on top. */
  vars: Record<string, string>;
  versus: Record<string, string>;
  /** Bound on each service's startup, and on each request. */
  timeoutMs: number;
  progress: (line: string) => void;
}

export interface ServedSide {
  /** The vars that differ from wrangler.toml's, as NAME=VALUE ("defaults" when none). */
  name: string;
  vars: Record<string, string>;
  /** workerd processes of the service's process group, whose threads' CPU time makes `workerd_cpu_ms`. */
  workerd_processes: number;
  /** x-engine-kernel of the last answer: the front isolate's engine kernel, null when the front ran none. */
  engine_kernel: string | null;
  /** The largest x-ort-wasm-heap-bytes / x-engine-wasm-bytes seen (the front isolate's), MiB. */
  ort_wasm_heap_mb: number | null;
  engine_wasm_mb: number | null;
  transport_retries: string[];
  /** Each timed cycle's measures (see scoreMeasures), in cycle order. */
  cycles: Record<string, number>[];
}

export interface ServedInterleavedReport {
  bundle: string;
  model: { name: string; quantization: string; imageSize: number };
  cycles: number;
  warm_ups: number;
  /** The wait after warm-up until both services' workerd threads were idle (see untilQuiet). */
  settle: { seconds: number; quiet: boolean; workerd_cpu_ms_per_s: number[] };
  /** Which side sent its score first in each timed cycle. */
  first: ("a" | "b")[];
  a: ServedSide;
  b: ServedSide;
  /** Per measure: each side's median, the ratio of the medians and the cycles' ratios A / B. */
  measures: Record<string, PairedMeasure>;
}

/**
 * One score's measures: `client_ms` (request sent -> body read), `workerd_cpu_ms` (CPU time of the service's workerd
 * threads meanwhile), the front's Server-Timing (`stages_ms`: the image-stage RPC round trips, `hop_ms`) and the body's
 * `timings` as `server.<name>`.
 */
export function scoreMeasures(
  clientMs: number,
  workerdCpuMs: number,
  serverTiming: Readonly<Record<string, number>>,
  timings: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { client_ms: clientMs, workerd_cpu_ms: workerdCpuMs };
  for (const [name, ms] of Object.entries(serverTiming)) out[`${name}_ms`] = ms;
  for (const [name, ms] of Object.entries(timings)) if (typeof ms === "number") out[`server.${name}`] = ms;
  return out;
}

/** NAME=VALUE of each var, or "defaults". */
export function sideName(vars: Readonly<Record<string, string>>): string {
  const entries = Object.entries(vars);
  return entries.length === 0 ? "defaults" : entries.map(([k, v]) => `${k}=${v}`).join(" ");
}

/** One served side: its client, and its zero-shot score timed from the client and in its workerd threads' CPU time. */
class ServedScorer {
  readonly client: ServiceClient;
  workerdProcesses = 0;

  constructor(
    readonly service: RunningService,
    private readonly inputs: Pick<BenchInputs, "object" | "image">,
    timeoutMs: number,
  ) {
    this.client = new ServiceClient(service, timeoutMs);
  }

  async score(): Promise<Record<string, number>> {
    // Listed again for every score: a supervised restart of wrangler dev brings new workerd processes.
    const before = threadCpuNs(this.workerdPids());
    const r: Timed<ScoreBody> = await this.client.request<ScoreBody>("POST", "/v1/score", scoreForm(this.inputs));
    const pids = this.workerdPids();
    const cpuMs = cpuDeltaMs(before, threadCpuNs(pids));
    this.workerdProcesses = pids.length;
    if (r.body.mode !== "zero-shot") throw new Error(`expected a zero-shot answer, got mode ${r.body.mode}`);
    return scoreMeasures(r.ms, cpuMs, r.serverTiming, r.body.timings);
  }

  side(name: string, vars: Record<string, string>, cycles: Record<string, number>[]): ServedSide {
    const mb = (bytes: number | undefined) => (bytes === undefined ? null : round(bytes / 2 ** 20));
    return {
      name,
      vars,
      workerd_processes: this.workerdProcesses,
      engine_kernel: this.client.engineKernel,
      ort_wasm_heap_mb: mb(this.client.maxHeapBytes),
      engine_wasm_mb: mb(this.client.maxEngineBytes),
      transport_retries: this.client.transportRetries,
      cycles,
    };
  }

  /** CPU time of the workerd threads so far (for quietness checks between requests). */
  cpuNow(): Map<string, number> {
    return threadCpuNs(this.workerdPids());
  }

  private workerdPids(): number[] {
    return groupMemory(this.service.pgid, /^workerd/).map((p) => p.pid);
  }
}

/**
 * Starts both services at once (each on its own free ports, state and staged configs), warms both up, runs the
 * cycles, and always stops both: also on an error (which then carries both services' last output) and on
 * SIGINT/SIGTERM (abandons a start under way, stops both, then exits the process with 130).
 */
export async function runServedInterleaved(o: ServedInterleavedOptions): Promise<ServedInterleavedReport> {
  if (!(Number.isInteger(o.cycles) && o.cycles > 0)) throw new RangeError(`runServedInterleaved: ${o.cycles} cycles`);
  const sideVars = [o.vars, { ...o.vars, ...o.versus }];
  const names = [sideName(o.vars), sideName({ ...o.vars, ...o.versus })];
  const services: RunningService[] = [];
  const stopAll = () => Promise.allSettled(services.map((s) => s.stop()));
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    o.progress(`${signal}: stopping both services`);
    interrupted.abort();
    // a request in flight then fails at once; the finally below stops whatever is left and exits
    void stopAll();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    o.progress(`starting both services (A: ${names[0]}; B: ${names[1]})...`);
    const started = await Promise.allSettled(
      sideVars.map((vars) =>
        startService({
          timeoutMs: o.timeoutMs,
          bundleDir: o.bundleDir,
          tempPrefix: "edge-anomaly-bench-",
          devRegistry: false,
          vars,
          // no local cron: the reconciler would run inside a timed request's CPU window now and then
          env: { RECONCILE_INTERVAL_SECONDS: "0" },
          signal: interrupted.signal,
        }),
      ),
    );
    for (const s of started) if (s.status === "fulfilled") services.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    const scorers = services.map((s) => new ServedScorer(s, o.inputs, o.timeoutMs));
    try {
      await runCycles(
        2,
        o.warmUps,
        (side) => scorers[side]!.score(),
        (c, r) => o.progress(`warm-up ${c + 1} of ${o.warmUps}: ${cycleLine(r)}`),
      );
      const settled = await untilQuiet(scorers);
      o.progress(
        `settled after ${settled.seconds} s: workerd CPU ${settled.cpuMsPerSecond.map((ms, i) => `${label(i)} ${ms}`).join(", ")} ms per s${settled.quiet ? "" : " (NOT quiet)"}`,
      );
      const health = await scorers[0]!.client.request<{ model: ServedInterleavedReport["model"] }>("GET", "/v1/health");
      const [a, b] = await runCycles(
        2,
        o.cycles,
        (side) => scorers[side]!.score(),
        (c, r) => o.progress(`cycle ${c + 1} of ${o.cycles} (${label(rotation(2, c)[0]!)} first): ${cycleLine(r)}`),
      );
      const { name, quantization, imageSize } = health.body.model;
      return {
        bundle: o.bundleDir,
        model: { name, quantization, imageSize },
        cycles: o.cycles,
        warm_ups: o.warmUps,
        settle: { seconds: settled.seconds, quiet: settled.quiet, workerd_cpu_ms_per_s: settled.cpuMsPerSecond },
        first: Array.from({ length: o.cycles }, (_, c) => (rotation(2, c)[0] === 0 ? "a" : "b")),
        a: scorers[0]!.side(names[0]!, sideVars[0]!, a!),
        b: scorers[1]!.side(names[1]!, sideVars[1]!, b!),
        measures: pairedMeasures(a!, b!),
      };
    } catch (e) {
      const logs = services.map((s, i) => `--- service ${label(i)} output (last lines) ---\n${s.log()}`).join("\n");
      throw new Error(`${(e as Error).message}\n${logs}`);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stopAll();
    if (interrupted.signal.aborted) process.exit(130);
  }
}

/** Below this much workerd CPU time per second (ms) a service counts as idle. */
const QUIET_MS_PER_S = 30;
const SETTLE_LIMIT_S = 60;

/**
 * Waits, in 1 s windows, until every service's workerd threads used under QUIET_MS_PER_S of CPU in the last window
 * (at most SETTLE_LIMIT_S), so that background work left over from warm-up (V8 optimising the onnxruntime-web module
 * or the engine's, a collection) does not run into the other side's timed requests.
 */
async function untilQuiet(scorers: readonly ServedScorer[]): Promise<{ seconds: number; quiet: boolean; cpuMsPerSecond: number[] }> {
  let cpuMsPerSecond: number[] = [];
  for (let seconds = 1; seconds <= SETTLE_LIMIT_S; seconds++) {
    const before = scorers.map((s) => s.cpuNow());
    await new Promise((r) => setTimeout(r, 1_000));
    cpuMsPerSecond = scorers.map((s, i) => Math.round(cpuDeltaMs(before[i]!, s.cpuNow())));
    if (cpuMsPerSecond.every((ms) => ms < QUIET_MS_PER_S)) return { seconds, quiet: true, cpuMsPerSecond };
  }
  return { seconds: SETTLE_LIMIT_S, quiet: false, cpuMsPerSecond };
}

function label(side: number): string {
  return side === 0 ? "A" : "B";
}

function cycleLine(results: Record<string, number>[]): string {
  return results.map((r, i) => `${label(i)} ${Math.round(r.client_ms!)} ms (workerd CPU ${Math.round(r.workerd_cpu_ms!)})`).join(", ");
}

/** The figures as Markdown, for the bench's console output. */
export function servedInterleavedTable(r: ServedInterleavedReport): string {
  const side = (tag: string, s: ServedSide) =>
    `${tag}: ${s.name}; front's engine kernel ${s.engine_kernel ?? "none"}, ORT wasm heap ${s.ort_wasm_heap_mb ?? "n/a"} MB, ` +
    `${s.workerd_processes} workerd processes, transport retries ${s.transport_retries.length}`;
  const f = (x: number | null) => (x === null ? "-" : String(x));
  return [
    `\n## ${r.bundle} served twice at once in local workerd (${r.model.name}, ${r.model.quantization}, ${r.model.imageSize} px): ` +
      `${r.cycles} interleaved zero-shot cycles after ${r.warm_ups} warm-up cycles and ${r.settle.seconds} s until both were idle${r.settle.quiet ? "" : " (they were NOT)"}, first side alternating`,
    side("A", r.a),
    side("B", r.b),
    "| measure | A p50 | B p50 | A / B of p50s | median of cycle ratios A / B | min | max | cycles |",
    "|---|---|---|---|---|---|---|---|",
    ...Object.entries(r.measures).map(
      ([name, m]) =>
        `| ${name} | ${f(m.a_p50)} | ${f(m.b_p50)} | ${f(m.p50_ratio)} | ${f(m.cycle_ratios?.median ?? null)} | ${f(m.cycle_ratios?.min ?? null)} | ${f(m.cycle_ratios?.max ?? null)} | ${m.cycle_ratios?.rounds.length ?? 0} |`,
    ),
  ].join("\n");
}
