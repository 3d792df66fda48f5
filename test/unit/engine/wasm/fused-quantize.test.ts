// The relaxed kernel's fused producers of quantized GEMM inputs (LayerNorm + quantization, GELU / QuickGELU +
// quantization) against a plain reference: the kernel's own fp32 LayerNorm / activation, then DynamicQuantizeLinear
// per row in float32 arithmetic. Bytes, scales and zero points must be equal, and a GEMM on them must give the same
// bits as the unfused path.
import { describe, expect, it } from "vitest";
import { loadInt8Gemm } from "../../../../src/bench/int8-gemm-node";
import { Activation, type Int8Gemm, type QuantizedActivations, type RelaxedBlocking } from "../../../../src/engine/wasm/int8-gemm";
import { seededUniform } from "../../../helpers/tiny-bundle";

const f = Math.fround;
const blockings: RelaxedBlocking[] = ["4x8", "2x8"];

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** DynamicQuantizeLinear of one row to 0..127 in float32 arithmetic. */
function quantizeRow(x: ArrayLike<number>): { q: number[]; scale: number; zp: number } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]!);
    hi = Math.max(hi, x[i]!);
  }
  let scale = f(f(hi - lo) / 127);
  if (scale === 0) scale = 1;
  const zp = Math.min(127, Math.max(0, roundHalfEven(f(-lo / scale))));
  const q = Array.from(x, (v) => Math.min(127, Math.max(0, roundHalfEven(f(v / scale)) + zp)));
  return { q, scale, zp };
}

/** Every row's bytes (padding bytes 0), scale and zero point, and the padding rows up to a multiple of 4. */
function expectQuantized(g: Int8Gemm, q: QuantizedActivations, rows: Float32Array[]): void {
  const M = rows.length;
  const K = rows[0]!.length;
  const [Mp, Kp] = [Math.ceil(M / 4) * 4, Math.ceil(K / 4) * 4];
  expect([q.M, q.K]).toEqual([M, K]);
  const bytes = g.readBytes(q.bytes, Mp * Kp);
  const scales = g.read(q.rows, Mp);
  const zps = new Int32Array(g.readBytes(q.rows + Mp * 4, Mp * 4).buffer);
  for (let m = 0; m < Mp; m++) {
    const want = m < M ? quantizeRow(rows[m]!) : { q: [], scale: 1, zp: 0 };
    const row = Array.from(bytes.subarray(m * Kp, (m + 1) * Kp));
    expect(row).toEqual([...want.q, ...new Array<number>(Kp - want.q.length).fill(0)]);
    expect(scales[m]).toBe(want.scale);
    expect(zps[m]).toBe(want.zp);
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function packRandom(g: Int8Gemm, K: number, N: number, seed: number) {
  const r = rng(seed);
  const w = Int8Array.from({ length: K * N }, () => Math.floor(r() * 256) - 128);
  const scales = Float32Array.from({ length: N }, () => 0.001 + r() * 0.01);
  const bias = Float32Array.from({ length: N }, () => r() - 0.5);
  return g.packLinear(w, K, N, scales, bias);
}

describe("LayerNorm fused with the relaxed GEMM's activation quantization", () => {
  // row 0 is constant, so LayerNorm gives exactly beta there: an all-zero row (beta 0) or a row of one sign
  const betas: [string, (i: number) => number][] = [
    ["mixed-sign beta", (i) => Math.sin(i * 1.7) * 0.3],
    ["zero beta (row 0 all zero)", () => 0],
    ["positive beta (row 0 all positive)", (i) => 0.05 + (i % 7) * 0.1],
    ["negative beta (row 0 all negative)", (i) => -0.05 - (i % 5) * 0.2],
  ];
  it.each([
    [1, 4],
    [2, 8],
    [3, 20],
    [5, 36],
    [7, 52],
    [9, 768],
  ])("M=%i W=%i: same bytes, scales and zero points as layerNormAt then per-row quantization", async (M, W) => {
    const g = await loadInt8Gemm("relaxed");
    const x = seededUniform(M * W, M * 31 + W, -3, 5);
    x.fill(2.5, 0, W);
    const gamma = g.floats(seededUniform(W, W + 1, 0.5, 1.5));
    const xp = g.floats(x);
    const ln = g.alloc(M * W * 4);
    for (const [, beta] of betas) {
      const b = g.floats(Float32Array.from({ length: W }, (_, i) => beta(i)));
      g.layerNormAt(xp, M, W, gamma, b, 1e-5, ln);
      const normalised = g.read(ln, M * W);
      const rows = Array.from({ length: M }, (_, m) => normalised.subarray(m * W, (m + 1) * W));
      expectQuantized(g, g.layerNormQuantizedAt(xp, M, W, gamma, b, 1e-5), rows);
    }
  });

  it.each(blockings)("gives a GEMM the same output bits as layerNormAt then linearAt (197 x 768 -> 40, residual; %s blocks)", async (blocking) => {
    const g = await loadInt8Gemm("relaxed", blocking);
    const [M, W, N] = [197, 768, 40];
    const xp = g.floats(seededUniform(M * W, 3, -4, 4));
    const gamma = g.floats(seededUniform(W, 4, 0.5, 1.5));
    const beta = g.floats(seededUniform(W, 5, -0.2, 0.2));
    const residual = g.floats(seededUniform(M * N, 6));
    const layer = packRandom(g, W, N, 7);
    const [ln, a, b] = [g.alloc(M * W * 4), g.alloc(M * N * 4), g.alloc(M * N * 4)];
    g.layerNormAt(xp, M, W, gamma, beta, 1e-5, ln);
    g.linearAt(ln, M, layer, a, Activation.none, residual);
    g.linearQuantizedAt(g.layerNormQuantizedAt(xp, M, W, gamma, beta, 1e-5), layer, b, Activation.none, residual);
    expect(g.readBytes(b, M * N * 4)).toEqual(g.readBytes(a, M * N * 4));
  });
});

describe("GELU / QuickGELU fused with the relaxed GEMM's activation quantization", () => {
  /** The kernel's own activation of `v` (linear's activation pass: zero weights, bias v). */
  function kernelActivation(g: Int8Gemm, v: Float32Array, act: (typeof Activation)["gelu" | "quickGelu"]): Float32Array {
    const N = v.length;
    const layer = g.packLinear(new Int8Array(N), 1, N, new Float32Array(N).fill(1), v);
    return g.linear(new Float32Array(1), 1, layer, { activation: act });
  }

  it.each([
    [1, 1],
    [2, 5],
    [2, 12],
    [3, 37],
    [4, 64],
    [6, 67],
    [2, 16],
    [3, 17],
    [2, 23],
    [3, 28],
    [2, 31],
    [1, 45],
    [5, 3075],
    [2, 3078],
  ])("M=%i K=%i: same bytes, scales and zero points as the activation pass then per-row quantization (rows mixed, of one sign, zero)", async (M, K) => {
    const g = await loadInt8Gemm("relaxed");
    const kinds = [(i: number) => Math.sin(i * 0.9) * 6, (i: number) => 0.01 + (i % 11) * 0.7, (i: number) => -0.01 - (i % 13) * 0.9, () => 0];
    const x = Float32Array.from({ length: M * K }, (_, i) => kinds[Math.floor(i / K) % kinds.length]!(i));
    const xp = g.floats(x);
    for (const act of [Activation.gelu, Activation.quickGelu] as const) {
      const rows = Array.from({ length: M }, (_, m) => kernelActivation(g, x.slice(m * K, (m + 1) * K), act));
      expectQuantized(g, g.activateQuantizedAt(xp, M, K, act), rows);
    }
  });

  it.each(blockings)(
    "gives fc2 the same output bits as fc1 with its activation pass then linearAt (197 x 96 -> 3072 -> 96, residual; %s blocks)",
    async (blocking) => {
      const g = await loadInt8Gemm("relaxed", blocking);
      const [M, W, F] = [197, 96, 3072];
      const xp = g.floats(seededUniform(M * W, 8, -2, 2));
      const fc = packRandom(g, W, F, 9);
      const proj = packRandom(g, F, W, 10);
      const residual = g.floats(seededUniform(M * W, 11));
      const [mlp, a, b] = [g.alloc(M * F * 4), g.alloc(M * W * 4), g.alloc(M * W * 4)];
      for (const act of [Activation.gelu, Activation.quickGelu] as const) {
        g.linearAt(xp, M, fc, mlp, act);
        g.linearAt(mlp, M, proj, a, Activation.none, residual);
        g.linearAt(xp, M, fc, mlp);
        g.linearQuantizedAt(g.activateQuantizedAt(mlp, M, F, act), proj, b, Activation.none, residual);
        expect(g.readBytes(b, M * W * 4)).toEqual(g.readBytes(a, M * W * 4));
      }
    },
  );

  it("refuses the SIMD128 kernel, a layer of another width and no activation", async () => {
    const s = await loadInt8Gemm("simd");
    expect(s.quantizesPerRow).toBe(false);
    expect(() => s.activateQuantizedAt(s.alloc(64), 2, 8, Activation.gelu)).toThrow(/relaxed/);
    const g = await loadInt8Gemm("relaxed");
    const x = g.floats(seededUniform(16, 1));
    const q = g.activateQuantizedAt(x, 2, 8, Activation.gelu);
    expect(() => g.linearQuantizedAt(q, packRandom(g, 4, 8, 2), g.alloc(64))).toThrow(/8 inputs/);
    expect(() => g.activateQuantizedAt(x, 2, 8, Activation.none)).toThrow(/no activation/);
  });
});
