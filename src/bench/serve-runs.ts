// The child side of interleaved runs (interleaved-runs.ts): after its setup, a benchmark process answers each "run"
// line on stdin with one timed run, as a JSON line on stdout, until "exit" or the end of stdin.
import { createInterface } from "node:readline";

export interface TimedRun {
  /** Wall time of the run, ms. */
  ms: number;
  /** Process CPU time of the run, ms. */
  cpu: number;
}

const READY_LINE = '{"ready":true}';

/** One call of `run`, timed: wall time and this process's CPU time. */
export async function timeRun(run: () => Promise<void>): Promise<TimedRun> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Prints READY_LINE, then one TimedRun line per "run" request; resolves when told to exit or stdin ends. */
export async function serveRuns(runOnce: () => Promise<void>): Promise<void> {
  process.stdout.write(`${READY_LINE}\n`);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const request = line.trim();
    if (request === "exit") break;
    if (request !== "run") {
      process.stdout.write(`${JSON.stringify({ error: `unknown request ${JSON.stringify(request)}` })}\n`);
      continue;
    }
    process.stdout.write(`${JSON.stringify(await timeRun(runOnce))}\n`);
  }
  lines.close();
}
