import { describe, expect, it } from "vitest";
import { axisPlan, resampleBilinear, upsampleAlignCorners } from "../../../src/engine/anomaly/upsample";

const close = (a: ArrayLike<number>, b: number[], digits = 6): void => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => {
    expect(a[i]).toBeCloseTo(v, digits);
  });
};

describe("upsampleAlignCorners", () => {
  it("2x2 -> 3x3 keeps the corners and puts the exact average in the centre", () => {
    const out = upsampleAlignCorners(new Float32Array([0, 1, 2, 3]), 1, 2, 3);
    close(out, [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  });

  it("uses src = dst * (G - 1) / (S - 1)", () => {
    const p = axisPlan(3, 5, true);
    expect(Array.from(p.lo)).toEqual([0, 0, 1, 1, 2]);
    expect(Array.from(p.hi)).toEqual([1, 1, 2, 2, 2]);
    close(p.weight, [0, 0.5, 0, 0.5, 0]);
    close(upsampleAlignCorners(new Float32Array([0, 10, 20, 0, 10, 20, 0, 10, 20]), 1, 3, 5).subarray(0, 5), [0, 5, 10, 15, 20]);
  });

  it("interpolates channels independently and writes into a given buffer", () => {
    const grid = new Float32Array([0, 0, 0, 0, 4, 4, 4, 4]);
    const out = new Float32Array(2 * 9).fill(-1);
    const r = upsampleAlignCorners(grid, 2, 2, 3, out);
    expect(r).toBe(out);
    close(out.subarray(0, 9), new Array(9).fill(0));
    close(out.subarray(9), new Array(9).fill(4));
  });

  it("handles a 1x1 grid and a 1x1 output", () => {
    close(upsampleAlignCorners(new Float32Array([7]), 1, 1, 4), new Array(16).fill(7));
    close(upsampleAlignCorners(new Float32Array([1, 2, 3, 4]), 1, 2, 1), [1]);
  });

  it("rejects mismatched sizes", () => {
    expect(() => upsampleAlignCorners(new Float32Array(3), 1, 2, 3)).toThrow(RangeError);
    expect(() => upsampleAlignCorners(new Float32Array(4), 1, 2, 3, new Float32Array(8))).toThrow(RangeError);
  });
});

describe("resampleBilinear (align_corners=false)", () => {
  it("uses half-pixel centres clamped at the border", () => {
    // torch: src = max(0, (o + 0.5) * 2 / 4 - 0.5) = 0, 0.25, 0.75, 1.25 -> [0, 1, 3, 4]
    close(resampleBilinear(new Float32Array([0, 4]), 1, 1, 2, 1, 4, false), [0, 1, 3, 4]);
    close(resampleBilinear(new Float32Array([0, 4, 8, 12]), 1, 2, 2, 2, 1, false), [2, 10]);
  });
});
