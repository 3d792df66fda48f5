// The engine's attention and LayerNorm kernels against plain float64 references: token counts that leave tails of
// the 4-row and 8-column tiles, several heads, and scores far enough apart that softmax underflows to zero.
import { describe, expect, it } from "vitest";
import { loadInt8Gemm } from "../../../../src/bench/int8-gemm-node";
import type { GemmKind } from "../../../../src/engine/wasm/int8-gemm";
import { relativeError, seededUniform } from "../../../helpers/tiny-bundle";

/** softmax(q·kᵀ)·v per head, in float64; qkv rows are [q | k | v], each W wide, head h in columns h*d..h*d+d. */
function attentionReference(qkv: Float32Array, M: number, W: number, heads: number): Float64Array {
  const d = W / heads;
  const out = new Float64Array(M * W);
  const at = (row: number, part: number, h: number, k: number) => qkv[row * 3 * W + part * W + h * d + k]!;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < M; i++) {
      const s = new Float64Array(M);
      for (let j = 0; j < M; j++) for (let k = 0; k < d; k++) s[j]! += at(i, 0, h, k) * at(j, 1, h, k);
      const mx = Math.max(...s);
      let sum = 0;
      for (let j = 0; j < M; j++) {
        s[j] = Math.exp(s[j]! - mx);
        sum += s[j]!;
      }
      for (let k = 0; k < d; k++) {
        let o = 0;
        for (let j = 0; j < M; j++) o += s[j]! * at(j, 2, h, k);
        out[i * W + h * d + k] = o / sum;
      }
    }
  }
  return out;
}

const kinds: GemmKind[] = ["simd", "relaxed"];

describe.each(kinds)("attention kernel (%s module)", (kind) => {
  it.each([
    [1, 8, 1],
    [4, 8, 1],
    [3, 16, 2],
    [8, 16, 1],
    [5, 24, 3],
    [9, 32, 2],
    [17, 64, 4],
    [50, 48, 3],
    // ViT-B-16's token count: fp32 sums over 197 scores and values, about 3e-6 from float64 (as before the packed K/V)
    [197, 128, 2, 4e-6],
  ])("M=%i tokens, width %i, %i heads: matches float64", async (M, W, heads, tolerance = 2e-6) => {
    const g = await loadInt8Gemm(kind);
    const qkv = seededUniform(M * 3 * W, M * 100 + W, -1.5, 1.5);
    const out = g.alloc(M * W * 4);
    g.attentionAt(g.floats(qkv), M, W, heads, out);
    expect(relativeError(g.read(out, M * W), attentionReference(qkv, M, W, heads))).toBeLessThan(tolerance);
  });

  it("keeps softmax right when scores differ by hundreds (most weights underflow to 0)", async () => {
    const g = await loadInt8Gemm(kind);
    const [M, W, heads] = [13, 16, 2];
    const qkv = seededUniform(M * 3 * W, 5, -12, 12);
    const out = g.alloc(M * W * 4);
    g.attentionAt(g.floats(qkv), M, W, heads, out);
    const y = g.read(out, M * W);
    expect(y.every(Number.isFinite)).toBe(true);
    expect(relativeError(y, attentionReference(qkv, M, W, heads))).toBeLessThan(2e-6);
  });

  it("gives the same result after a larger call left other tokens' packed K and V in its scratch", async () => {
    const g = await loadInt8Gemm(kind);
    const big = seededUniform(61 * 3 * 48, 11, -1.5, 1.5);
    g.attentionAt(g.floats(big), 61, 48, 3, g.alloc(61 * 48 * 4));
    const [M, W, heads] = [10, 48, 3];
    const qkv = seededUniform(M * 3 * W, 12, -1.5, 1.5);
    const out = g.alloc(M * W * 4);
    g.attentionAt(g.floats(qkv), M, W, heads, out);
    expect(relativeError(g.read(out, M * W), attentionReference(qkv, M, W, heads))).toBeLessThan(2e-6);
  });

  // The four-row path computes its exps row by row over whole vectors (into the scores' padding), the single-row tail
  // with exp4 column by column: a tail row repeating a four-row-path row's q must get the same bits.
  it.each([
    [9, 1],
    [13, 6],
    [14, 3],
    [23, 17],
  ])("M=%i tokens: the tail row repeating row %i's q gets that row's bits (four-row path against the single-row tail)", async (M, copied) => {
    const g = await loadInt8Gemm(kind);
    const [W, heads] = [32, 2];
    const qkv = seededUniform(M * 3 * W, 21 + M, -2.5, 2.5);
    // the first tail row (after the groups of four) repeats row `copied`'s q, with scores up to about 100 so the maxima matter
    const tail = M - (M % 4);
    qkv.copyWithin(tail * 3 * W, copied * 3 * W, copied * 3 * W + W);
    const out = g.alloc(M * W * 4);
    g.attentionAt(g.floats(qkv), M, W, heads, out);
    const y = g.read(out, M * W);
    expect(Array.from(y.subarray(tail * W, (tail + 1) * W))).toEqual(Array.from(y.subarray(copied * W, (copied + 1) * W)));
  });

  it("refuses a head size that is not a multiple of 8", async () => {
    const g = await loadInt8Gemm(kind);
    expect(() => g.attentionAt(0, 4, 36, 3, 0)).toThrow(/multiple of 8/);
  });
});

describe.each(kinds)("LayerNorm kernel (%s module)", (kind) => {
  it.each([
    [1, 4],
    [3, 12],
    [7, 100],
    [5, 768],
  ])("M=%i rows of %i: matches float64, also for a row offset far from 0", async (M, W) => {
    const g = await loadInt8Gemm(kind);
    const x = seededUniform(M * W, W, -2, 2);
    for (let i = 0; i < W; i++) x[i] = x[i]! + 1000; // a large mean: the variance is taken around it
    const gamma = seededUniform(W, 2, 0.5, 1.5);
    const beta = seededUniform(W, 3, -0.5, 0.5);
    const out = g.alloc(M * W * 4);
    g.layerNormAt(g.floats(x), M, W, g.floats(gamma), g.floats(beta), 1e-5, out);
    const expected = new Float64Array(M * W);
    for (let m = 0; m < M; m++) {
      const row = Array.from(x.subarray(m * W, (m + 1) * W));
      const mean = row.reduce((a, b) => a + b, 0) / W;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / W;
      for (let i = 0; i < W; i++) expected[m * W + i] = ((row[i]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[i]! + beta[i]!;
    }
    // the mean of a row around 1000 carries fp32 rounding of 1000 (~6e-5): relative to unit-variance outputs
    expect(relativeError(g.read(out, M * W), expected)).toBeLessThan(M === 1 || W < 100 ? 1e-4 : 5e-4);
  });

  it("gives a row the same bits in the four-row path as in the single-row tail", async () => {
    const g = await loadInt8Gemm(kind);
    const [M, W] = [7, 36]; // rows 0-3 four at a time, rows 4-6 one at a time
    const x = seededUniform(M * W, 17, -3, 5);
    x.copyWithin(5 * W, 1 * W, 2 * W); // row 5 = row 1
    x.copyWithin(6 * W, 3 * W, 4 * W); // row 6 = row 3
    const out = g.alloc(M * W * 4);
    g.layerNormAt(g.floats(x), M, W, g.floats(seededUniform(W, 18, 0.5, 1.5)), g.floats(seededUniform(W, 19)), 1e-5, out);
    const y = new Uint32Array(g.read(out, M * W).buffer);
    expect(y.subarray(5 * W, 6 * W)).toEqual(y.subarray(1 * W, 2 * W));
    expect(y.subarray(6 * W, 7 * W)).toEqual(y.subarray(3 * W, 4 * W));
  });
});
