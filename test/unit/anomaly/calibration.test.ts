import { describe, expect, it } from "vitest";
import { calibrateFromLeaveOneOut, fewShotImageScore, normalisedCombinedMax, zeroShotDecisionThreshold } from "../../../src/engine/anomaly/calibration";

const loo = (pairs: [number, number][]) => pairs.map(([combinedMax, zeroShotScore]) => ({ combinedMax, zeroShotScore }));

describe("calibrateFromLeaveOneOut", () => {
  it("k >= 2: mean centre, predictive sample spread, threshold at centre + zStar spreads", () => {
    const c = calibrateFromLeaveOneOut(
      loo([
        [3, 0.6],
        [3.2, 0.7],
        [3.4, 0.8],
      ]),
    );
    expect(c.method).toBe("loo-gaussian");
    expect(c.k).toBe(3);
    expect(c.center).toBeCloseTo(3.2, 12);
    expect(c.sampleSpread).toBeCloseTo(0.2, 12);
    expect(c.spread).toBeCloseTo(0.2 * Math.sqrt(4 / 3), 12);
    expect(c.zeroShotReference).toBeCloseTo(0.7, 12);
    expect(c.threshold).toBeCloseTo(0.6, 12);
    // the documented meaning of the threshold
    expect(fewShotImageScore(0.7, c.center + c.zStar * c.spread, c)).toBeCloseTo(c.threshold, 12);
    // a typical normal image scores well below it: g(centre) = sigmoid(-1.702 * 2)
    expect(normalisedCombinedMax(c.center, c)).toBeCloseTo(1 / (1 + Math.exp(1.702 * 2)), 12);
  });

  it("floors the spread when the shots agree", () => {
    expect(
      calibrateFromLeaveOneOut(
        loo([
          [4, 0.5],
          [4, 0.5],
        ]),
      ).spread,
    ).toBeCloseTo(0.2, 12); // 5 % of 4
    expect(
      calibrateFromLeaveOneOut(
        loo([
          [0, 0.5],
          [0, 0.5],
        ]),
      ).spread,
    ).toBeCloseTo(0.02, 12);
    const custom = calibrateFromLeaveOneOut(
      loo([
        [4, 0.5],
        [4, 0.5],
      ]),
      { minSpreadRelative: 0, minSpreadAbsolute: 0.1, zStar: 3 },
    );
    expect(custom.spread).toBeCloseTo(0.1, 12);
    expect(custom.zStar).toBe(3);
  });

  it("k = 1 falls back to a wide prior around the self-scored shot", () => {
    const c = calibrateFromLeaveOneOut(loo([[2.5, 0.9]]));
    expect(c.method).toBe("single-shot-prior");
    expect(c.k).toBe(1);
    expect(c.center).toBe(2.5);
    expect(c.sampleSpread).toBeNull();
    expect(c.spread).toBeCloseTo(0.5, 12);
    expect(c.threshold).toBeCloseTo(0.7, 12);
    const score = fewShotImageScore(0.5, 2.6, c);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
  });

  it("rejects no shots, non-finite values and bad options", () => {
    expect(() => calibrateFromLeaveOneOut([])).toThrow(RangeError);
    expect(() => calibrateFromLeaveOneOut(loo([[Number.NaN, 0.5]]))).toThrow(RangeError);
    expect(() => calibrateFromLeaveOneOut(loo([[1, 0.5]]), { slope: 0 })).toThrow(RangeError);
    const c = calibrateFromLeaveOneOut(
      loo([
        [1, 0.5],
        [2, 0.5],
      ]),
    );
    expect(() => fewShotImageScore(0.5, Number.POSITIVE_INFINITY, c)).toThrow(RangeError);
  });
});

describe("fewShotImageScore", () => {
  const c = calibrateFromLeaveOneOut(
    loo([
      [3.1, 0.55],
      [3.5, 0.62],
      [3.3, 0.4],
      [2.9, 0.7],
    ]),
  );
  const maxima = Array.from({ length: 121 }, (_, i) => -2 + i * 0.1);
  const zeroShots = Array.from({ length: 21 }, (_, i) => i / 20);

  it("is in [0, 1] and increasing in combinedMax (strictly where g is not saturated) and in zeroShotScore", () => {
    for (const zs of zeroShots) {
      let previous = -Infinity;
      for (const m of maxima) {
        const s = fewShotImageScore(zs, m, c);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(s).toBeGreaterThanOrEqual(previous);
        if (m > 2 && m < 6) expect(s).toBeGreaterThan(previous);
        previous = s;
      }
    }
    for (const m of maxima) {
      let previous = -Infinity;
      for (const zs of zeroShots) {
        const s = fewShotImageScore(zs, m, c);
        expect(s).toBeGreaterThan(previous);
        previous = s;
      }
    }
  });

  it("saturates at 0.5 * (zs + 1) and clamps the zero-shot score", () => {
    expect(fewShotImageScore(0.4, 1e9, c)).toBeCloseTo(0.7, 12);
    expect(fewShotImageScore(0.4, -1e9, c)).toBeCloseTo(0.2, 12);
    expect(fewShotImageScore(1.5, 1e9, c)).toBe(1);
  });

  it("threshold rises with the shots' zero-shot scores; scores fall when the normal maxima rise", () => {
    const base = loo([
      [3, 0.5],
      [3.4, 0.6],
    ]);
    const higherZs = loo([
      [3, 0.7],
      [3.4, 0.8],
    ]);
    const shifted = loo([
      [3.5, 0.5],
      [3.9, 0.6],
    ]);
    expect(calibrateFromLeaveOneOut(higherZs).threshold).toBeGreaterThan(calibrateFromLeaveOneOut(base).threshold);
    expect(fewShotImageScore(0.5, 4, calibrateFromLeaveOneOut(shifted))).toBeLessThan(fewShotImageScore(0.5, 4, calibrateFromLeaveOneOut(base)));
  });
});

describe("zeroShotDecisionThreshold", () => {
  it("is the two-way softmax argmax", () => {
    expect(zeroShotDecisionThreshold).toBe(0.5);
  });
});
