// Gradients of the token-side pieces (linear, row normalisation, scaled text logits) against finite differences.
import { describe, expect, it } from "vitest";
import {
  linearBackward,
  linearForward,
  normalizeRowsBackward,
  normalizeRowsForward,
  textLogitsBackward,
  textLogitsForward,
} from "../../../src/training/token-ops";
import { dot, maxGradError, randomArray } from "./gradcheck";

const rows = 5;
const width = 7;
const dim = 4;

describe("linear", () => {
  it("computes bias + x W^T", () => {
    const z = new Float64Array(2);
    linearForward(new Float64Array([1, 2, 3]), new Float64Array([1, 0, 1, 0, 1, 0]), new Float64Array([10, 20]), 1, 3, 2, z);
    expect(Array.from(z)).toEqual([14, 22]);
  });

  it("weight and bias gradients match finite differences", () => {
    const x = randomArray(rows * width, 1);
    const w = randomArray(dim * width, 2);
    const b = randomArray(dim, 3);
    const probe = randomArray(rows * dim, 4);
    const z = new Float64Array(rows * dim);
    const f = () => {
      linearForward(x, w, b, rows, width, dim, z);
      return dot(z, probe);
    };
    const gw = new Float64Array(w.length);
    const gb = new Float64Array(b.length);
    linearBackward(x, probe, rows, width, dim, gw, gb);
    expect(maxGradError(f, w, gw)).toBeLessThan(1e-8);
    expect(maxGradError(f, b, gb)).toBeLessThan(1e-8);
  });

  it("matches plain loops on odd sizes (the 2x2 blocking's edges)", () => {
    for (const [r, wd, d] of [
      [5, 7, 3],
      [1, 1, 1],
      [2, 3, 1],
      [3, 2, 5],
    ] as const) {
      const x = randomArray(r * wd, 5);
      const w = randomArray(d * wd, 6);
      const b = randomArray(d, 7);
      const gz = randomArray(r * d, 8);
      const z = new Float64Array(r * d);
      linearForward(x, w, b, r, wd, d, z);
      const gw = new Float64Array(d * wd);
      const gb = new Float64Array(d);
      linearBackward(x, gz, r, wd, d, gw, gb);
      for (let p = 0; p < r; p++) {
        for (let e = 0; e < d; e++) {
          let s = b[e]!;
          for (let k = 0; k < wd; k++) s += x[p * wd + k]! * w[e * wd + k]!;
          expect(z[p * d + e]).toBeCloseTo(s, 12);
        }
      }
      for (let e = 0; e < d; e++) {
        let sb = 0;
        for (let p = 0; p < r; p++) sb += gz[p * d + e]!;
        expect(gb[e]).toBeCloseTo(sb, 12);
        for (let k = 0; k < wd; k++) {
          let s = 0;
          for (let p = 0; p < r; p++) s += gz[p * d + e]! * x[p * wd + k]!;
          expect(gw[e * wd + k]).toBeCloseTo(s, 12);
        }
      }
    }
  });

  it("accumulates into the gradient buffers", () => {
    const gw = new Float64Array(2).fill(1);
    const gb = new Float64Array(1).fill(1);
    linearBackward(new Float64Array([3, 4]), new Float64Array([2]), 1, 2, 1, gw, gb);
    expect(Array.from(gw)).toEqual([7, 9]);
    expect(Array.from(gb)).toEqual([3]);
  });
});

describe("row normalisation", () => {
  it("gives unit rows", () => {
    const u = new Float64Array(2);
    const n = new Float64Array(1);
    normalizeRowsForward(new Float64Array([3, 4]), 1, 2, u, n);
    expect(Array.from(u)).toEqual([0.6, 0.8]);
    expect(n[0]).toBe(5);
  });

  it("gradient matches finite differences, also in place", () => {
    const z = randomArray(rows * dim, 5);
    const probe = randomArray(rows * dim, 6);
    const u = new Float64Array(z.length);
    const n = new Float64Array(rows);
    const f = () => {
      normalizeRowsForward(z, rows, dim, u, n);
      return dot(u, probe);
    };
    f();
    const gz = Float64Array.from(probe);
    normalizeRowsBackward(u, n, gz, rows, dim, gz);
    expect(maxGradError(f, z, gz)).toBeLessThan(1e-8);
  });
});

describe("text logits", () => {
  it("is 100 * u . text column, channel-major", () => {
    const out = new Float64Array(2);
    textLogitsForward(new Float64Array([0.6, 0.8]), new Float64Array([1, 0, 0, 1]), 1, 2, 100, out);
    expect(out[0]).toBeCloseTo(60, 12);
    expect(out[1]).toBeCloseTo(80, 12);
  });

  it("gradient matches finite differences", () => {
    const u = randomArray(rows * dim, 7);
    const text = randomArray(dim * 2, 8);
    const probe = randomArray(2 * rows, 9);
    const out = new Float64Array(2 * rows);
    const f = () => {
      textLogitsForward(u, text, rows, dim, 100, out);
      return dot(out, probe);
    };
    const gu = new Float64Array(u.length);
    textLogitsBackward(probe, text, rows, dim, 100, gu);
    expect(maxGradError(f, u, gu)).toBeLessThan(1e-7);
  });
});
