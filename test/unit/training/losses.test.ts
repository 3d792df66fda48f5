// FocalLoss and BinaryDiceLoss of the reference: hand-computed values and finite-difference gradients.
import { describe, expect, it } from "vitest";
import { diceCoefficient, focalLoss } from "../../../src/training/losses";
import { maxGradError, randomArray } from "./gradcheck";

/** Probabilities [2, n] from the abnormal channel. */
const probsOf = (p1: number[]): Float64Array => Float64Array.from([...p1.map((p) => 1 - p), ...p1]);
const focalTerm = (pt: number): number => -((1 - pt) ** 2) * Math.log(pt);
// torch clamps a float32 one-hot: the bounds are float32 values
const ON = Math.fround(0.99999);
const OFF = Math.fround(1e-5);

describe("focalLoss", () => {
  it("matches -(1 - pt)^2 log(pt) with the clamped one-hot and smooth 1e-5, averaged", () => {
    // pixel 0 normal with p1 = 0.3, pixel 1 abnormal with p1 = 0.3
    const probs = probsOf([0.3, 0.3]);
    const pt0 = ON * 0.7 + OFF * 0.3 + 1e-5;
    const pt1 = OFF * 0.7 + ON * 0.3 + 1e-5;
    expect(focalLoss(probs, Uint8Array.of(0, 1), 2, 1 / 2)).toBeCloseTo((focalTerm(pt0) + focalTerm(pt1)) / 2, 9);
    expect(focalLoss(probs, Uint8Array.of(0, 1), 2, 1 / 2)).toBeCloseTo((0.09 * -Math.log(0.7) + 0.49 * -Math.log(0.3)) / 2, 4);
  });

  it("treats a null mask as all normal", () => {
    const probs = probsOf([0.1, 0.9]);
    expect(focalLoss(probs, null, 2, 1)).toBe(focalLoss(probs, Uint8Array.of(0, 0), 2, 1));
  });

  it("stays finite when the prediction is confidently wrong (the smooth term)", () => {
    const v = focalLoss(probsOf([0]), Uint8Array.of(1), 1, 1);
    expect(v).toBeCloseTo(focalTerm(OFF + 1e-5), 9);
    expect(Number.isFinite(v)).toBe(true);
  });

  it("gradient matches finite differences", () => {
    const n = 9;
    const probs = randomArray(2 * n, 1).map((v) => 0.5 + 0.45 * v);
    const mask = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const g = new Float64Array(2 * n);
    focalLoss(probs, mask, n, 1 / 7, g);
    expect(maxGradError(() => focalLoss(probs, mask, n, 1 / 7), probs, g, 1e-7)).toBeLessThan(1e-7);
  });
});

describe("diceCoefficient", () => {
  it("is (2 sum(p t) + 1) / (sum p + sum t + 1) on the abnormal channel", () => {
    expect(diceCoefficient(probsOf([0.3, 0.8]), Uint8Array.of(0, 1), 2)).toBeCloseTo(2.6 / 3.1, 12);
  });

  it("is 1 for a perfect prediction and for all-normal with p1 = 0", () => {
    expect(diceCoefficient(probsOf([0, 1, 1]), Uint8Array.of(0, 1, 1), 3)).toBe(1);
    expect(diceCoefficient(probsOf([0, 0]), null, 2)).toBe(1);
    // an all-normal image still pays for abnormal probability: 1 / (sum p1 + 1)
    expect(diceCoefficient(probsOf([0.5, 0.5]), null, 2)).toBe(0.5);
  });

  it("gradient (scaled, into channel 1 only) matches finite differences", () => {
    const n = 8;
    const probs = randomArray(2 * n, 2).map((v) => 0.5 + 0.45 * v);
    const mask = Uint8Array.from({ length: n }, (_, i) => (i < 3 ? 1 : 0));
    const g = new Float64Array(2 * n);
    diceCoefficient(probs, mask, n, g, -0.25);
    expect(Array.from(g.subarray(0, n))).toEqual(new Array(n).fill(0));
    expect(maxGradError(() => -0.25 * diceCoefficient(probs, mask, n), probs, g)).toBeLessThan(1e-8);
  });
});
