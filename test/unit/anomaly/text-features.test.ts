import { describe, expect, it } from "vitest";
import { ensembleTextFeatures } from "../../../src/engine/anomaly/text-features";

describe("ensembleTextFeatures", () => {
  it("averages unit rows, re-normalises, and lays out [E, 2] with column 0 normal", () => {
    const normal = new Float32Array([1, 0, 0, 0, 1, 0]);
    const abnormal = new Float32Array([0, 0, 1]);
    const t = ensembleTextFeatures(normal, abnormal, 3);
    const r = Math.SQRT1_2;
    const expected = [r, 0, r, 0, 0, 1];
    expect(t).toHaveLength(6);
    expected.forEach((v, i) => {
      expect(t[i]).toBeCloseTo(v, 6);
    });
  });

  it("normalises each sentence embedding before averaging", () => {
    const t = ensembleTextFeatures(new Float32Array([3, 0, 0, 1]), new Float32Array([0, 5]), 2);
    // per-row normalisation gives (1,0),(0,1) -> (0.707, 0.707); without it: (3,1)/sqrt(10)
    expect(t[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(t[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(t[1]).toBeCloseTo(0, 6);
    expect(t[3]).toBeCloseTo(1, 6);
  });

  it("rejects embeddings that are not whole rows", () => {
    expect(() => ensembleTextFeatures(new Float32Array(5), new Float32Array(4), 2)).toThrow(RangeError);
    expect(() => ensembleTextFeatures(new Float32Array(4), new Float32Array(0), 2)).toThrow(RangeError);
  });
});
