// The upsampling and 2-channel softmax of the training maps: values, adjointness and finite-difference gradients.
import { describe, expect, it } from "vitest";
import { upsampleAlignCorners } from "../../../src/engine/anomaly/upsample";
import { softmax2Backward, softmax2Forward, upsampleBackward, upsampleForward, upsamplePlan } from "../../../src/training/pixel-ops";
import { dot, maxGradError, randomArray } from "./gradcheck";

describe("upsample (align_corners=True)", () => {
  it("agrees with the engine's serving upsampler", () => {
    const grid = randomArray(2 * 9, 1);
    const out = new Float64Array(2 * 49);
    upsampleForward(upsamplePlan(3, 7), grid, 2, out);
    const ref = upsampleAlignCorners(Float32Array.from(grid), 2, 3, 7);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 6);
  });

  it("backward is the exact transpose: <up(a), b> = <a, up^T(b)>", () => {
    const plan = upsamplePlan(4, 13);
    const a = randomArray(2 * 16, 2);
    const b = randomArray(2 * 169, 3);
    const upA = new Float64Array(2 * 169);
    upsampleForward(plan, a, 2, upA);
    const tB = new Float64Array(2 * 16);
    upsampleBackward(plan, b, 2, tB);
    expect(dot(upA, b)).toBeCloseTo(dot(a, tB), 12);
  });

  it("gradient matches finite differences", () => {
    const plan = upsamplePlan(3, 8);
    const grid = randomArray(2 * 9, 4);
    const probe = randomArray(2 * 64, 5);
    const out = new Float64Array(2 * 64);
    const f = () => {
      upsampleForward(plan, grid, 2, out);
      return dot(out, probe);
    };
    const g = new Float64Array(2 * 9).fill(123); // overwritten, not accumulated
    upsampleBackward(plan, probe, 2, g);
    expect(maxGradError(f, grid, g)).toBeLessThan(1e-8);
  });
});

describe("softmax over 2 channels", () => {
  it("normalises and is stable for large logits", () => {
    const p = new Float64Array(4);
    softmax2Forward(new Float64Array([0, 1000, Math.log(3), -1000]), 2, p);
    // pixel 0: logits (0, log 3) -> (1/4, 3/4); pixel 1: (1000, -1000) -> (1, 0) without overflow
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[2]).toBeCloseTo(0.75, 12);
    expect(p[1]).toBe(1);
    expect(p[3]).toBe(0);
  });

  it("gradient matches finite differences, also in place", () => {
    const n = 6;
    const logits = randomArray(2 * n, 6, 3);
    const probe = randomArray(2 * n, 7);
    const p = new Float64Array(2 * n);
    const f = () => {
      softmax2Forward(logits, n, p);
      return dot(p, probe);
    };
    f();
    const g = Float64Array.from(probe);
    softmax2Backward(p, g, n, g);
    expect(maxGradError(f, logits, g)).toBeLessThan(1e-8);
  });
});
