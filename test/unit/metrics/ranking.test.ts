// AUROC, AP and F1-max against hand-computed values (sklearn semantics) and a brute-force pair count.
import { describe, expect, it } from "vitest";
import { averagePrecisionScore } from "../../../src/metrics/average-precision";
import { rankingMetricsOf } from "../../../src/metrics/classification";
import { f1MaxScore } from "../../../src/metrics/f1-max";
import { rocAucScore } from "../../../src/metrics/roc-auc";
import { rocCurve } from "../../../src/metrics/roc-curve";
import { forEachThreshold, sortScores } from "../../../src/metrics/sorted-scores";

describe("ranking metrics", () => {
  it("match sklearn's documented example", () => {
    const y = [0, 0, 1, 1];
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(rocAucScore(y, s)).toBeCloseTo(0.75, 15);
    expect(averagePrecisionScore(y, s)).toBeCloseTo(0.8333333333333333, 15);
    // PR points: (1, .5) (.5, .5) (2/3, 1) (.5, 1): best F1 = 0.8
    expect(f1MaxScore(y, s)).toBeCloseTo(0.8, 15);
  });

  it("group ties into one threshold (AUROC counts a tied pair half)", () => {
    const y = [0, 1, 1, 0, 1];
    const s = [0.2, 0.5, 0.5, 0.5, 0.9];
    // pairs: 0.9 beats both negatives, each 0.5 beats 0.2 and ties 0.5: (2 + 2 + 2 * 0.5) / 6
    expect(rocAucScore(y, s)).toBeCloseTo(5 / 6, 15);
    // thresholds 0.9: R 1/3 P 1; 0.5: R 1 P 3/4; 0.2: R 1 P 3/5
    expect(averagePrecisionScore(y, s)).toBeCloseTo(1 / 3 + (2 / 3) * 0.75, 15);
    expect(f1MaxScore(y, s)).toBeCloseTo((2 * 0.75) / 1.75, 15);
  });

  it("constant scores: AUROC 0.5, AP = prevalence, F1 = 2p / (1 + p)", () => {
    const y = [0, 1, 0, 0];
    const s = new Float32Array(4).fill(0.3);
    expect(rankingMetricsOf(y, s)).toEqual({ auroc: 0.5, ap: 0.25, f1Max: expect.closeTo(0.4, 15) });
  });

  it("perfect separation gives 1 everywhere; perfect inversion gives AUROC 0", () => {
    expect(rankingMetricsOf([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toEqual({ auroc: 1, ap: 1, f1Max: 1 });
    expect(rocAucScore([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it("one class only: AUROC NaN (sklearn raises); AP and F1 as sklearn: 0 without positives, 1 with only positives", () => {
    expect(rankingMetricsOf([0, 0, 0], [0.1, 0.5, 0.2])).toEqual({ auroc: NaN, ap: 0, f1Max: 0 });
    expect(rankingMetricsOf([1, 1], [0.1, 0.5])).toEqual({ auroc: NaN, ap: 1, f1Max: 1 });
    expect(rankingMetricsOf([], [])).toEqual({ auroc: NaN, ap: NaN, f1Max: NaN });
  });

  it("rejects NaN scores and mismatched lengths", () => {
    expect(() => rocAucScore([0, 1], [0.1, NaN])).toThrow(/NaN/);
    expect(() => rocAucScore([0, 1, 0], [0.1, 0.2])).toThrow(RangeError);
  });

  it("AUROC equals the Mann-Whitney pair count and AP its definition on random tied data", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(rand() * 60);
      const y = Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
      y[0] = 1;
      y[1] = 0;
      const s = Float32Array.from({ length: n }, () => Math.round(rand() * 10) / 10); // many ties
      let pairs = 0;
      let wins = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          if (y[i] === 1 && y[j] === 0) {
            pairs++;
            wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
          }
      expect(rocAucScore(y, s)).toBeCloseTo(wins / pairs, 12);
      const p = y.filter((v) => v).length;
      let ap = 0;
      let prevR = 0;
      for (const t of [...new Set(s)].sort((a, b) => b - a)) {
        const tp = y.filter((v, i) => v && s[i]! >= t).length;
        const all = y.filter((_, i) => s[i]! >= t).length;
        ap += (tp / p - prevR) * (tp / all);
        prevR = tp / p;
      }
      expect(averagePrecisionScore(y, s)).toBeCloseTo(ap, 12);
    }
  });

  it("walks distinct thresholds from the top, treating -0 and +0 as one", () => {
    const seen: [number, number, number][] = [];
    forEachThreshold(sortScores(Float64Array.of(0, -0, 2, 2, 1), [1, 0, 1, 0, 0]), (tp, fp, t) => seen.push([tp, fp, t + 0]));
    expect(seen).toEqual([
      [1, 1, 2],
      [1, 2, 1],
      [2, 3, 0],
    ]);
  });

  it("thins the ROC curve but keeps both ends", () => {
    const n = 10000;
    const y = Array.from({ length: n }, (_, i) => i % 2);
    const s = Float64Array.from({ length: n }, (_, i) => i + (i % 2) * 3);
    const c = rocCurve(sortScores(s, y), 50);
    expect(c.fpr.length).toBeLessThan(120);
    expect([c.fpr[0], c.tpr[0], c.fpr.at(-1), c.tpr.at(-1)]).toEqual([0, 0, 1, 1]);
  });
});
