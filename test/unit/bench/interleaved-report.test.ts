import { describe, expect, it } from "vitest";
import { interleavedReport, pairedMeasures } from "../../../src/bench/interleaved-report";

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

describe("pairedMeasures", () => {
  it("gives each measure both medians, their ratio and the median of the cycles' ratios", () => {
    const m = pairedMeasures(
      [
        { client_ms: 300, cpu: 290 },
        { client_ms: 600, cpu: 590 },
        { client_ms: 630, cpu: 600 },
      ],
      [
        { client_ms: 600, cpu: 580 },
        { client_ms: 500, cpu: 490 },
        { client_ms: 700, cpu: 690 },
      ],
    );
    // cycle ratios 0.5, 1.2, 0.9: the median is 0.9, where the ratio of the medians is 600 / 600 = 1
    expect(m.client_ms).toMatchObject({ a_p50: 600, b_p50: 600, p50_ratio: 1 });
    expect(m.client_ms!.cycle_ratios).toMatchObject({ median: 0.9, min: 0.5, max: 1.2 });
    expect(m.cpu!.p50_ratio).toBe(1.017); // 590 / 580
  });

  it("leaves a cycle out of a ratio when either side lacks the measure or reads 0", () => {
    const m = pairedMeasures([{ stages: 700, decode: 0 }, { stages: 800 }, { decode: 3 }], [{ stages: 1400, decode: 2 }, {}, { decode: 2 }]);
    expect(m.stages!.a_p50).toBe(750);
    expect(m.stages!.b_p50).toBe(1400);
    expect(m.stages!.cycle_ratios!.rounds.map((r) => r.ratio)).toEqual([0.5]);
    expect(m.decode!.cycle_ratios!.rounds.map((r) => r.ratio)).toEqual([1.5]);
  });

  it("has no ratio for a measure only one side has, and refuses different cycle counts", () => {
    const m = pairedMeasures([{ engine: 5 }], [{}]);
    expect(m.engine).toEqual({ a_p50: 5, b_p50: null, p50_ratio: null, cycle_ratios: null });
    expect(() => pairedMeasures([{}], [])).toThrow(/different numbers of cycles/);
  });
});
