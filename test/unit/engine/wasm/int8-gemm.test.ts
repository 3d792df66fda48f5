import { describe, expect, it } from "vitest";
import { loadInt8Gemm } from "../../../../src/bench/int8-gemm-node";
import { Activation, type ActivationId, type GemmKind, type RelaxedBlocking, relaxedSimdSupported } from "../../../../src/engine/wasm/int8-gemm";
import { relativeError } from "../../../helpers/tiny-bundle";

const f = Math.fround;

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** DynamicQuantizeLinear in float32 arithmetic, to `levels` (255 or the relaxed kernel's 127). */
function quantize(x: Float32Array, levels: number): { q: Int32Array; scale: number; zp: number } {
  let lo = 0;
  let hi = 0;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  let scale = f(f(hi - lo) / levels);
  if (scale === 0) scale = 1;
  const zp = Math.min(levels, Math.max(0, roundHalfEven(f(-lo / scale))));
  const q = Int32Array.from(x, (v) => Math.min(levels, Math.max(0, roundHalfEven(f(v / scale)) + zp)));
  return { q, scale, zp };
}

// erf to ~1e-12 (series / continued fraction), so the reference GELU is not the kernel's approximation.
function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let cf = 0;
    for (let n = 60; n >= 1; n--) cf = n / 2 / (a + cf);
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + cf);
  }
  return x < 0 ? -r : r;
}

function reference(
  x: Float32Array,
  M: number,
  K: number,
  w: Int8Array,
  N: number,
  scales: Float32Array,
  bias: Float32Array | undefined,
  levels: number,
  act: ActivationId,
  residual?: Float32Array,
): Float32Array {
  // SIMD128 quantizes the whole tensor as DynamicQuantizeLinear; the relaxed kernel each row on its own.
  const perRow = levels === 127;
  const whole = quantize(x, levels);
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const row = perRow ? quantize(x.subarray(m * K, (m + 1) * K), levels) : undefined;
    const { scale, zp } = row ?? whole;
    const q = row ? row.q : whole.q.subarray(m * K, (m + 1) * K);
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (q[k]! - zp) * w[k * N + n]!;
      let v = acc * scale * scales[n]! + (bias ? bias[n]! : 0);
      if (act === Activation.gelu) v = 0.5 * v * (1 + erf(v / Math.SQRT2));
      if (act === Activation.quickGelu) v = v / (1 + Math.exp(-1.702 * v));
      y[m * N + n] = v + (residual ? residual[m * N + n]! : 0);
    }
  }
  return y;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomCase(M: number, K: number, N: number, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: M * K }, () => (r() - 0.3) * 4);
  const w = Int8Array.from({ length: K * N }, () => Math.floor(r() * 256) - 128);
  const scales = Float32Array.from({ length: N }, () => 0.001 + r() * 0.01);
  const bias = Float32Array.from({ length: N }, () => r() - 0.5);
  return { x, w, scales, bias };
}

// Node 20 runs this project with --experimental-wasm-relaxed-simd (vitest.config.ts), Node 22 has it by default.
// The relaxed kernel in both register blockings (4 x 8 with shuffled activations, 2 x 8 with splat loads).
const configurations: [GemmKind, RelaxedBlocking | undefined][] = [
  ["simd", undefined],
  ["relaxed", "4x8"],
  ["relaxed", "2x8"],
];

describe.each(configurations)("int8 GEMM kernel (%s %s)", (kind, blocking) => {
  const levels = kind === "relaxed" ? 127 : 255;
  const loadGemm = () => loadInt8Gemm(kind, blocking);

  it("runs the kernel it was asked for", async () => {
    expect(relaxedSimdSupported()).toBe(true);
    const g = await loadGemm();
    expect(g.kind).toBe(kind);
    if (blocking) expect(g.blocking).toBe(blocking);
  });

  it.each([
    [1, 1, 1],
    [1, 3, 5],
    [2, 4, 8],
    [3, 5, 9],
    [5, 17, 13],
    [7, 63, 17],
    [4, 64, 16],
    [37, 129, 45],
    [6, 27, 33],
    [11, 200, 40],
    [197, 64, 24],
  ])("matches the reference for M=%i K=%i N=%i (tails of every block size), with bias", async (M, K, N) => {
    const g = await loadGemm();
    const c = randomCase(M, K, N, M * 1000 + K * 10 + N);
    const layer = g.packLinear(c.w, K, N, c.scales, c.bias);
    const y = g.linear(c.x, M, layer);
    expect(y).toHaveLength(M * N);
    expect(relativeError(y, reference(c.x, M, K, c.w, N, c.scales, c.bias, levels, Activation.none))).toBeLessThan(2e-6);
  });

  it("fuses GELU, QuickGELU and a residual add into the epilogue; no bias", async () => {
    const g = await loadGemm();
    const [M, K, N] = [9, 40, 21];
    const c = randomCase(M, K, N, 7);
    const residual = Float32Array.from({ length: M * N }, (_, i) => Math.sin(i));
    const layer = g.packLinear(c.w, K, N, c.scales);
    for (const act of [Activation.gelu, Activation.quickGelu]) {
      const y = g.linear(c.x, M, layer, { activation: act, residual });
      expect(relativeError(y, reference(c.x, M, K, c.w, N, c.scales, undefined, levels, act, residual))).toBeLessThan(2e-6);
    }
    const plain = g.linear(c.x, M, layer, { residual });
    expect(relativeError(plain, reference(c.x, M, K, c.w, N, c.scales, undefined, levels, Activation.none, residual))).toBeLessThan(2e-6);
  });

  it("keeps GELU and QuickGELU finite and right far out in both tails (bias -100..100)", async () => {
    const g = await loadGemm();
    const [M, K, N] = [3, 16, 41];
    const c = randomCase(M, K, N, 11);
    const bias = Float32Array.from({ length: N }, (_, n) => -100 + 5 * n);
    const layer = g.packLinear(c.w, K, N, c.scales, bias);
    for (const act of [Activation.gelu, Activation.quickGelu]) {
      const y = g.linear(c.x, M, layer, { activation: act });
      expect(y.every(Number.isFinite)).toBe(true);
      expect(relativeError(y, reference(c.x, M, K, c.w, N, c.scales, bias, levels, act))).toBeLessThan(2e-6);
    }
  });

  it("is exact at the saturation edges: weights -128/127, activations quantized to 0 and the top level, K = 3072", async () => {
    const g = await loadGemm();
    const [M, K, N] = [5, 3072, 11];
    // Rows alternate the extremes, so q is only 0 or `levels` and every product is the largest magnitude.
    const x = Float32Array.from({ length: M * K }, (_, i) => ((i + Math.floor(i / K)) % 2 === 0 ? -1000 : 3000));
    const w = Int8Array.from({ length: K * N }, (_, i) => (i % 3 === 0 ? 127 : -128));
    const scales = new Float32Array(N).fill(1);
    const y = g.linear(x, M, g.packLinear(w, K, N, scales));
    const ref = reference(x, M, K, w, N, scales, undefined, levels, Activation.none);
    expect(relativeError(y, ref)).toBeLessThan(1e-6);
    // the same extremes all of one sign: the largest accumulator the layer can reach
    const xMax = new Float32Array(M * K).fill(3000);
    const wMin = new Int8Array(K * N).fill(-128);
    const yMax = g.linear(xMax, M, g.packLinear(wMin, K, N, scales));
    expect(relativeError(yMax, reference(xMax, M, K, wMin, N, scales, undefined, levels, Activation.none))).toBeLessThan(1e-6);
    expect(yMax[0]).toBeCloseTo(-128 * 3000 * K, -3);
  });

  it("reuses its scratch memory across calls of different sizes and keeps packed layers intact", async () => {
    const g = await loadGemm();
    const a = randomCase(3, 10, 6, 1);
    const b = randomCase(50, 70, 30, 2);
    const la = g.packLinear(a.w, 10, 6, a.scales, a.bias);
    const lb = g.packLinear(b.w, 70, 30, b.scales, b.bias);
    const first = g.linear(a.x, 3, la);
    g.linear(b.x, 50, lb);
    expect(g.linear(a.x, 3, la)).toEqual(first);
    expect(() => g.linear(a.x, 4, la)).toThrow(/expected 4x10/);
  });
});

describe("relaxed int8 GEMM register blockings", () => {
  it.each([
    [1, 5, 3],
    [3, 13, 8],
    [6, 27, 33],
    [13, 200, 40],
    [197, 768, 24],
  ])("4 x 8 and 2 x 8 give identical outputs for M=%i K=%i N=%i (GELU, residual)", async (M, K, N) => {
    const [g4, g2] = await Promise.all([loadInt8Gemm("relaxed", "4x8"), loadInt8Gemm("relaxed", "2x8")]);
    const c = randomCase(M, K, N, M + K + N);
    const residual = Float32Array.from({ length: M * N }, (_, i) => Math.cos(i));
    const options = { activation: Activation.gelu, residual };
    const y4 = g4.linear(c.x, M, g4.packLinear(c.w, K, N, c.scales, c.bias), options);
    const y2 = g2.linear(c.x, M, g2.packLinear(c.w, K, N, c.scales, c.bias), options);
    expect(y4).toEqual(y2);
  });
});
