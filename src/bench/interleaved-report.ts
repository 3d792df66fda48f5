// Figures of interleaved runs: per side the wall and CPU medians, per ratio A / B the cycles' ratios (cycle c's run of
// A over cycle c's run of B, paired-rounds.ts) and the ratio of the two sides' CPU-time medians.
import { type PairedRatios, pairedRatios } from "./paired-rounds";
import type { TimedRun } from "./serve-runs";
import { percentile, round } from "./stats";

export interface InterleavedSideFigures {
  p50_ms: number;
  cpu_p50_ms: number;
  /** Every run's wall time, in cycle order. */
  runs_ms: number[];
}

export interface InterleavedRatio extends PairedRatios {
  /** Median CPU time of A over median CPU time of B. */
  cpu_p50_ratio: number;
}

export interface InterleavedReport {
  cycles: number;
  sides: Record<string, InterleavedSideFigures>;
  ratios: Record<string, InterleavedRatio>;
}

/** `ratios`: [name, side A, side B]; a ratio whose sides did not run is left out. Sides must have the same cycle count. */
export function interleavedReport(
  runsBySide: Record<string, readonly TimedRun[]>,
  ratios: readonly (readonly [name: string, a: string, b: string])[],
): InterleavedReport {
  const counts = new Set(Object.values(runsBySide).map((r) => r.length));
  if (counts.size !== 1) throw new RangeError(`interleavedReport: sides ran different numbers of cycles (${[...counts].join(", ")})`);
  const sides = Object.fromEntries(
    Object.entries(runsBySide).map(([name, runs]) => [
      name,
      { p50_ms: round(median(runs, "ms")), cpu_p50_ms: round(median(runs, "cpu")), runs_ms: runs.map((r) => round(r.ms)) },
    ]),
  );
  const out: Record<string, InterleavedRatio> = {};
  for (const [name, a, b] of ratios) {
    const ra = runsBySide[a];
    const rb = runsBySide[b];
    if (!ra || !rb) continue;
    const paired = pairedRatios(ra.map((run, c) => ({ a: round(run.ms), b: round(rb[c]!.ms) })));
    out[name] = { ...paired, cpu_p50_ratio: round(median(ra, "cpu") / median(rb, "cpu"), 3) };
  }
  return { cycles: [...counts][0]!, sides, ratios: out };
}

function median(runs: readonly TimedRun[], key: keyof TimedRun): number {
  return percentile(
    runs.map((r) => r[key]),
    50,
  );
}
