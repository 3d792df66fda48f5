import { describe, expect, it } from "vitest";
import { interleavedReport } from "../../../src/bench/interleaved-report";

const runs = (...pairs: [number, number][]) => pairs.map(([ms, cpu]) => ({ ms, cpu }));

describe("interleavedReport", () => {
  it("pairs the runs of one cycle for each ratio and takes the median of the cycles' ratios", () => {
    const r = interleavedReport(
      {
        engine: runs([300, 290], [600, 590], [630, 600]),
        ort: runs([600, 580], [500, 490], [700, 690]),
      },
      [["engine_vs_ort", "engine", "ort"]],
    );
    // cycle ratios 0.5, 1.2, 0.9: the median is 0.9, where the ratio of the wall medians would be 600 / 600 = 1
    expect(r.ratios.engine_vs_ort!.median).toBe(0.9);
    expect(r.ratios.engine_vs_ort!.min).toBe(0.5);
    expect(r.ratios.engine_vs_ort!.max).toBe(1.2);
    expect(r.ratios.engine_vs_ort!.cpu_p50_ratio).toBe(1.017); // 590 / 580 = 1.0172
    expect(r.sides.engine).toEqual({ p50_ms: 600, cpu_p50_ms: 590, runs_ms: [300, 600, 630] });
    expect(r.cycles).toBe(3);
  });

  it("leaves out a ratio whose side did not run", () => {
    const r = interleavedReport({ engine: runs([1, 1]), ort: runs([2, 2]) }, [
      ["engine_vs_ort", "engine", "ort"],
      ["engine_vs_torch", "engine", "torch"],
    ]);
    expect(Object.keys(r.ratios)).toEqual(["engine_vs_ort"]);
  });

  it("refuses sides with different cycle counts", () => {
    expect(() => interleavedReport({ a: runs([1, 1]), b: runs([1, 1], [2, 2]) }, [])).toThrow(/different numbers of cycles/);
  });
});
