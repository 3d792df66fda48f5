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

/** One measure of two sides run in the same cycles: each side's median, and A / B per cycle. */
export interface PairedMeasure {
  /** null: the side never had it. */
  a_p50: number | null;
  b_p50: number | null;
  /** a_p50 / b_p50 (for CPU time, the ratio of the CPU-time medians). */
  p50_ratio: number | null;
  /** A / B of each cycle where both sides have the measure above 0; null when no cycle does. */
  cycle_ratios: PairedRatios | null;
}

/**
 * Per measure (a name in the cycles' records, e.g. client ms, CPU ms, a server timing), the two sides' medians and
 * the cycles' ratios A / B. `a[c]` and `b[c]` are cycle c's records; a measure missing from a record is left out of
 * that side's median and of that cycle's ratio, and a 0 (a timer that did not advance) of the ratio.
 */
export function pairedMeasures(a: readonly Readonly<Record<string, number>>[], b: readonly Readonly<Record<string, number>>[]): Record<string, PairedMeasure> {
  if (a.length !== b.length) throw new RangeError(`pairedMeasures: the sides ran different numbers of cycles (${a.length}, ${b.length})`);
  const names = [...new Set([...a, ...b].flatMap((r) => Object.keys(r)))];
  const p50 = (side: readonly Readonly<Record<string, number>>[], name: string) => {
    const values = side.map((r) => r[name]).filter((v): v is number => v !== undefined);
    return values.length > 0 ? round(percentile(values, 50), 2) : null;
  };
  const out: Record<string, PairedMeasure> = {};
  for (const name of names) {
    const pairs = a.flatMap((ra, c) => {
      const x = round(ra[name] ?? 0, 2);
      const y = round(b[c]![name] ?? 0, 2);
      return x > 0 && y > 0 ? [{ a: x, b: y }] : [];
    });
    const [aP50, bP50] = [p50(a, name), p50(b, name)];
    out[name] = {
      a_p50: aP50,
      b_p50: bP50,
      p50_ratio: aP50 !== null && bP50 !== null && aP50 > 0 && bP50 > 0 ? round(aP50 / bP50, 3) : null,
      cycle_ratios: pairs.length > 0 ? pairedRatios(pairs) : null,
    };
  }
  return out;
}
