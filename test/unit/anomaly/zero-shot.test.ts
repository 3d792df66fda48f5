import { describe, expect, it } from "vitest";
import { abnormalProbability, zeroShotLayerLogits, zeroShotMap, zeroShotScore } from "../../../src/engine/anomaly/zero-shot";

// E = 2, T = identity: embedding dim 0 is "normal", dim 1 is "abnormal" -> logits = 100 * (x0, x1)
const T = new Float32Array([1, 0, 0, 1]);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe("zeroShotScore", () => {
  it("is softmax(100 f @ T)[1]", () => {
    expect(zeroShotScore(new Float32Array([Math.SQRT1_2, Math.SQRT1_2]), T)).toBeCloseTo(0.5, 6);
    expect(zeroShotScore(new Float32Array([0.6, 0.8]), T)).toBeCloseTo(sigmoid(20), 6);
    expect(zeroShotScore(new Float32Array([0.8, 0.6]), T)).toBeCloseTo(sigmoid(-20), 12);
  });

  it("is stable for extreme logits", () => {
    expect(abnormalProbability(1000, -1000)).toBe(0);
    expect(abnormalProbability(-1000, 1000)).toBe(1);
    expect(zeroShotScore(new Float32Array([0, 1]), T)).toBeCloseTo(1, 12);
  });

  it("rejects mismatched dimensions", () => {
    expect(() => zeroShotScore(new Float32Array(3), T)).toThrow(RangeError);
    expect(() => zeroShotScore(new Float32Array(1), new Float32Array(3))).toThrow(RangeError);
  });
});

describe("zeroShotLayerLogits", () => {
  it("returns 100 * p @ T as [2, G, G]", () => {
    const projected = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]); // 4 patches x E=2
    const l = zeroShotLayerLogits(projected, T);
    const expected = [10, 30, 50, 70, 20, 40, 60, 80];
    expected.forEach((v, i) => {
      expect(l[i]).toBeCloseTo(v, 4);
    });
  });

  it("uses both text columns", () => {
    // T rows: e0 -> (normal 1, abnormal 2), e1 -> (normal 3, abnormal 4)
    const l = zeroShotLayerLogits(new Float32Array([1, 1]), new Float32Array([1, 2, 3, 4]));
    expect(Array.from(l)).toEqual([400, 600]);
  });
});

describe("zeroShotMap", () => {
  it("equal logits give 0.5 per layer", () => {
    const layer = new Float32Array(8).fill(0.3); // every patch (0.3, 0.3)
    const map = zeroShotMap([layer, layer, layer], T, 2, 5);
    expect(map).toHaveLength(25);
    for (const v of map) expect(v).toBeCloseTo(1.5, 6);
  });

  it("L layers with identical logits give L times one layer", () => {
    const layer = new Float32Array([0, 0.01, 0.02, 0, 0, 0.03, 0.01, 0.01]);
    const one = zeroShotMap([layer], T, 2, 4);
    const three = zeroShotMap([layer, layer, layer], T, 2, 4);
    one.forEach((v, i) => {
      expect(three[i]).toBeCloseTo(3 * v, 5);
    });
  });

  it("upsamples the logits before the softmax", () => {
    // abnormal - normal logit per patch: 0, 0, 0, 8; the centre of a 3x3 map averages the logits
    const layer = new Float32Array([0, 0, 0, 0, 0, 0, 0, 0.08]);
    const map = zeroShotMap([layer], T, 2, 3);
    expect(map[4]).toBeCloseTo(sigmoid(2), 5); // 0.8808; softmax-then-upsample would give 0.6249
    expect(map[0]).toBeCloseTo(0.5, 6);
    expect(map[8]).toBeCloseTo(sigmoid(8), 5);
    expect(map[5]).toBeCloseTo(sigmoid(4), 5);
  });

  it("rejects a grid that does not match the tokens", () => {
    expect(() => zeroShotMap([new Float32Array(8)], T, 3, 4)).toThrow(RangeError);
  });
});
