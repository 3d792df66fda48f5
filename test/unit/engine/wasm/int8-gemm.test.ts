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

  it("applies GELU or QuickGELU, then a residual add; no bias", async () => {
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

  it.each([
    [1, 4, 1],
    [2, 8, 3],
    [3, 12, 6],
    [5, 9, 7],
    [4, 33, 12],
    [13, 20, 19],
  ])("applies the activation pass to every output of M=%i K=%i N=%i (M x N tails of 0-3 values), residual after it", async (M, K, N) => {
    const g = await loadGemm();
    const c = randomCase(M, K, N, M * 100 + N);
    const residual = Float32Array.from({ length: M * N }, (_, i) => Math.cos(3 * i));
    const layer = g.packLinear(c.w, K, N, c.scales, c.bias);
    for (const act of [Activation.gelu, Activation.quickGelu]) {
      const y = g.linear(c.x, M, layer, { activation: act, residual });
      expect(relativeError(y, reference(c.x, M, K, c.w, N, c.scales, c.bias, levels, act, residual))).toBeLessThan(2e-6);
      const alone = g.linear(c.x, M, layer, { activation: act });
      expect(relativeError(alone, reference(c.x, M, K, c.w, N, c.scales, c.bias, levels, act))).toBeLessThan(2e-6);
    }
  });

  it("computes GELU and QuickGELU to within 2e-7 x max(1, |x|) of float64 on x in [-12, 12] (x = bias, zero weights)", async () => {
    const g = await loadGemm();
    const [M, K, N] = [2, 4, 4801];
    const bias = Float32Array.from({ length: N }, (_, n) => -12 + (24 * n) / (N - 1));
    const layer = g.packLinear(new Int8Array(K * N), K, N, new Float32Array(N).fill(1), bias);
    const x = Float32Array.from({ length: M * K }, (_, i) => i - 3);
    const exact = {
      [Activation.gelu]: (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      [Activation.quickGelu]: (v: number) => v / (1 + Math.exp(-1.702 * v)),
    };
    for (const act of [Activation.gelu, Activation.quickGelu] as const) {
      const y = g.linear(x, M, layer, { activation: act });
      let worst = 0;
      for (let i = 0; i < M * N; i++) {
        const v = bias[i % N]!;
        worst = Math.max(worst, Math.abs(y[i]! - exact[act](v)) / Math.max(1, Math.abs(v)));
      }
      expect(worst).toBeLessThan(2e-7);
    }
  });

  it("gives each value the same activation bits wherever the pass meets it (steps of 16, 8 and 4 values, a 1-3 tail)", async () => {
    const g = await loadGemm();
    // x = bias with zero weights: output n is act(bias[n]); the pass covers M x N values, so a value's place in its
    // steps moves with N (and the row), while its bits must not
    const values = (N: number) => Float32Array.from({ length: N }, (_, n) => Math.sin(n * 2.3) * 7);
    const one = g.packLinear(new Int8Array(4 * 64), 4, 64, new Float32Array(64).fill(1), values(64));
    for (const act of [Activation.gelu, Activation.quickGelu]) {
      const want = g.linear(new Float32Array(4), 1, one, { activation: act });
      for (const [M, N] of [
        [1, 1],
        [1, 3],
        [1, 5],
        [1, 15],
        [1, 17],
        [1, 21],
        [1, 30],
        [1, 47],
        [3, 13],
        [2, 35],
        [5, 22],
      ] as const) {
        const layer = g.packLinear(new Int8Array(4 * N), 4, N, new Float32Array(N).fill(1), values(N));
        const y = g.linear(new Float32Array(4 * M), M, layer, { activation: act });
        for (let i = 0; i < M * N; i++) expect(Object.is(y[i], want[i % N]), `act ${act} M=${M} N=${N} value ${i}`).toBe(true);
      }
    }
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

  it("quantizes like DynamicQuantizeLinear at exact ties (half to even), on rows of one sign and an all-zero row, in SIMD lanes and the tail", async () => {
    const g = await loadGemm();
    const [M, K] = [4, 37]; // 32 values in SIMD steps, 5 in the scalar tail
    const L = levels;
    // row 0 spans 0..L (scale 1 on its own): halves and odd integers are ties for a row scale of 1 or a tensor scale of 2
    const row0 = Array.from({ length: K }, (_, k) => (k === 0 ? 0 : k === 1 ? L : k % 2 === 0 ? ((k * 7) % L) + 0.5 : (2 * k + 1) % L));
    const row1 = row0.map((v) => -v); // only negatives and zero
    const row2 = new Array<number>(K).fill(0);
    const row3 = Array.from({ length: K }, (_, k) => (k % 5) - 2.5 + k / 8);
    const x = Float32Array.from([...row0, ...row1, ...row2, ...row3]);
    const eye = Int8Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0));
    const y = g.linear(x, M, g.packLinear(eye, K, K, new Float32Array(K).fill(1)));
    const whole = quantize(x, L);
    for (let m = 0; m < M; m++) {
      const { q, scale, zp } = kind === "relaxed" ? quantize(x.subarray(m * K, (m + 1) * K), L) : { ...whole, q: whole.q.subarray(m * K, (m + 1) * K) };
      const got = Array.from({ length: K }, (_, n) => Math.round(y[m * K + n]! / scale));
      expect(got).toEqual(Array.from(q, (v) => v - zp));
    }
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

describe("relaxed int8 GEMM with two input quads added in 16 bits (paired column blocks, corrected lanes)", () => {
  const blockings: RelaxedBlocking[] = ["4x8", "2x8"];
  /** Weights like a per-channel int8 layer of normal weights (largest |w| of a column 127, most far smaller). */
  function normalWeights(K: number, N: number, seed: number): Int8Array {
    const r = rng(seed);
    const f = Float64Array.from({ length: K * N }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
    const w = new Int8Array(K * N);
    for (let n = 0; n < N; n++) {
      let top = 1e-12;
      for (let k = 0; k < K; k++) top = Math.max(top, Math.abs(f[k * N + n]!));
      for (let k = 0; k < K; k++) w[k * N + n] = Math.round((f[k * N + n]! / top) * 127);
    }
    return w;
  }
  /**
   * Inputs 8p + {0, 1, 4, 5} and 8p + {2, 3, 6, 7} meet in one 16-bit lane; `edge` patterns put a lane's positive
   * (or negative) weights at `total`: 258 is the largest the kernel may pair (127 x 258 = 32766), 259 is not.
   */
  function edgeWeights(K: number, N: number, columnTotal: (n: number) => number): Int8Array {
    const w = new Int8Array(K * N);
    for (let n = 0; n < N; n++) {
      const total = columnTotal(n);
      const big = total > 0 ? 127 : -128;
      const rest = total - 2 * big;
      for (let k = 0; k < K; k++) {
        const i = k % 8;
        w[k * N + n] = i < 4 ? big : i % 2 === 0 ? rest : 0;
      }
    }
    return w;
  }

  it.each(blockings)("pairs lanes right at the 16-bit bound without corrections, exactly (%s, activations at 127, K = 3072)", async (blocking) => {
    const g = await loadInt8Gemm("relaxed", blocking);
    const [M, K, N] = [5, 3072, 21];
    const w = edgeWeights(K, N, (n) => (n % 3 === 0 ? -258 : 258));
    const scales = new Float32Array(N).fill(1);
    const layer = g.packLinear(w, K, N, scales);
    expect([layer.pairedBlocks, layer.correctionCount]).toEqual([3, 0]);
    const x = new Float32Array(M * K).fill(3000); // every activation at the top level: lanes at +-127 x 258
    const y = g.linear(x, M, layer);
    expect(relativeError(y, reference(x, M, K, w, N, scales, undefined, 127, Activation.none))).toBeLessThan(1e-6);
    expect(y).toEqual(g.linear(x, M, g.packLinear(w, K, N, scales, undefined, { pairQuads: false })));
  });

  it.each(blockings)("corrects lanes over the bound back to the exact sums (%s, activations at 127)", async (blocking) => {
    const g = await loadInt8Gemm("relaxed", blocking);
    const [M, K, N] = [6, 1024, 19]; // up to 16 corrections per block
    const w = normalWeights(K, N, 5);
    // plant lanes far over the bound: four 127s (excess 250: 127 moved, then 123) and four -128s (128, then 126)
    for (const [k0, n, v] of [
      [0, 0, 127],
      [8, 3, -128],
      [96, 9, 127],
      [1010, 18, -128],
      [50, 12, 127],
    ] as const) {
      for (const d of [0, 1, 4, 5]) w[(k0 + d) * N + n] = v;
    }
    const scales = Float32Array.from({ length: N }, (_, n) => 0.5 + n / N);
    const layer = g.packLinear(w, K, N, scales);
    expect(layer.pairedBlocks).toBe(3);
    expect(layer.correctionCount).toBeGreaterThanOrEqual(10);
    const unpaired = g.packLinear(w, K, N, scales, undefined, { pairQuads: false });
    expect([unpaired.pairs, unpaired.pairedBlocks]).toEqual([0, 0]);
    for (const x of [new Float32Array(M * K).fill(3000), randomCase(M, K, N, 9).x]) {
      const y = g.linear(x, M, layer);
      expect(relativeError(y, reference(x, M, K, w, N, scales, undefined, 127, Activation.none))).toBeLessThan(1e-6);
      expect(y).toEqual(g.linear(x, M, unpaired));
    }
  });

  it("leaves a column block that would need more than K / 64 corrections unpaired, and stays exact", async () => {
    const g = await loadInt8Gemm("relaxed", "2x8");
    const [M, K, N] = [4, 3072, 16];
    // block 0: every lane one over the bound (768 corrections); block 1: right at it
    const w = edgeWeights(K, N, (n) => (n < 8 ? 259 : 258));
    const scales = new Float32Array(N).fill(1);
    const layer = g.packLinear(w, K, N, scales);
    expect([layer.pairedBlocks, layer.correctionCount]).toEqual([1, 0]);
    const x = new Float32Array(M * K).fill(3000);
    expect(relativeError(g.linear(x, M, layer), reference(x, M, K, w, N, scales, undefined, 127, Activation.none))).toBeLessThan(1e-6);
  });

  it.each([
    [1, 5, 3],
    [3, 13, 8],
    [5, 17, 13],
    [7, 63, 17],
    [5, 130, 13],
    [6, 259, 33],
    [13, 200, 40],
    [37, 129, 45],
    [9, 1030, 21],
    [197, 768, 24],
  ])("gives the unpaired kernel's outputs bit for bit, in both blockings, for M=%i K=%i N=%i (GELU, residual)", async (M, K, N) => {
    const c = randomCase(M, K, N, 31 * M + K + N);
    const w = normalWeights(K, N, M + 7 * K + N);
    const residual = Float32Array.from({ length: M * N }, (_, i) => Math.cos(i));
    const options = { activation: Activation.gelu, residual };
    const outputs: Float32Array[] = [];
    for (const blocking of blockings) {
      const g = await loadInt8Gemm("relaxed", blocking);
      const layer = g.packLinear(w, K, N, c.scales, c.bias);
      // short K allows few corrections (K / 64), so only the longer layers are sure to pair blocks
      if (K >= 128) expect(layer.pairedBlocks).toBeGreaterThan(0);
      const paired = g.linear(c.x, M, layer, options);
      expect(paired).toEqual(g.linear(c.x, M, g.packLinear(w, K, N, c.scales, c.bias, { pairQuads: false }), options));
      expect(relativeError(paired, reference(c.x, M, K, w, N, c.scales, c.bias, 127, Activation.gelu, residual))).toBeLessThan(2e-6);
      outputs.push(paired);
    }
    expect(outputs[0]).toEqual(outputs[1]);
  });
});
