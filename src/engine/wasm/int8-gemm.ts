// The int8 linear-layer kernels (AssemblyScript -> WebAssembly, src/engine/wasm/assembly) behind a small API:
// weights packed once into the kernel's linear memory, activations quantized per call like DynamicQuantizeLinear.

/** SIMD128 (i16 widening + i32x4.dot_i16x8_s, uint8 activations) or relaxed SIMD (i8 dot, 7-bit activations). */
export type GemmKind = "simd" | "relaxed";

/**
 * Register blocking of the relaxed kernel, same sums either way: 4 rows x 8 columns with shuffled activations (what
 * workerd's V8 runs fastest), or 2 x 8 with splat loads for Node 20's V8 11.3, which spills the 4 x 8 loop's registers.
 */
export type RelaxedBlocking = "4x8" | "2x8";

/**
 * 2 x 8 under V8 11.x (Node 20), 4 x 8 elsewhere (workerd, newer V8s). Re-checked on 2026-12-01 after the activation
 * left the block loops (`npm run bench:gemm-blocking`): Node 20's V8 still spills the 4 x 8 loop (about 1.1x 2 x 8's
 * time on ViT-B-16's layers), while workerd runs it in 0.83-0.94x 2 x 8's time (README, "Kernel work of 2026-12-01,
 * later morning").
 */
export function defaultRelaxedBlocking(): RelaxedBlocking {
  const v8 = (globalThis as { process?: { versions?: { v8?: string } } }).process?.versions?.v8;
  return v8?.startsWith("11.") ? "2x8" : "4x8";
}

export const Activation = { none: 0, gelu: 1, quickGelu: 2 } as const;
export type ActivationId = (typeof Activation)[keyof typeof Activation];

interface KernelExports {
  memory: WebAssembly.Memory;
  packedWeightBytes(K: number, N: number): number;
  packWeights(w: number, K: number, N: number, dst: number, colsum: number): void;
  /** SIMD128: returns the tensor's scale (zero point: lastZeroPoint). Relaxed: per-row scales and zero points into `rows`. */
  quantizeActivations(x: number, M: number, K: number, dst: number, rows?: number): number;
  lastZeroPoint(): number;
  gemm(...args: number[]): void;
  /** Relaxed module only: `gemm`'s sums in 2 x 8 blocks (see RelaxedBlocking). */
  gemm2x8?(...args: number[]): void;
  /** Relaxed module only: prepares packed weights for adding two quads' i16 products before widening (see PackedLinear). */
  pairQuads?(packed: number, K: number, N: number, flags: number, corr: number, maxPerBlock: number, apply: boolean): number;
  layerNorm(x: number, M: number, W: number, gamma: number, beta: number, eps: number, out: number): void;
  /** Relaxed module only: quantizeActivations of layerNorm(x), four rows at a time through `scratch` (4 x W floats). */
  layerNormQuantize?(x: number, M: number, W: number, gamma: number, beta: number, eps: number, dst: number, rows: number, scratch: number): void;
  /** Relaxed module only: quantizeActivations of GELU / QuickGELU(x), a row at a time through `scratch` (K floats). */
  activateQuantize?(x: number, M: number, K: number, act: number, dst: number, rows: number, scratch: number): void;
  attention(qkv: number, M: number, W: number, heads: number, out: number, scratch: number): void;
  linearF32(x: number, M: number, K: number, w: number, N: number, bias: number, out: number, scratch: number): void;
  unfoldPatches(pixels: number, S: number, P: number, G: number, out: number): void;
  addInPlace(x: number, y: number, count: number): void;
  l2NormalizeRows(x: number, rows: number, width: number): void;
}

/** A linear layer's weights inside the kernel memory: int8 [K][N] packed, per-output-channel scales, bias. */
export interface PackedLinear {
  readonly K: number;
  readonly N: number;
  readonly weights: number;
  readonly colsum: number;
  readonly scales: number;
  readonly bias: number; // 0: none
  /**
   * Relaxed kernel: one byte per block of 8 output columns, non-zero where the kernel adds two input quads' 16-bit
   * products before widening them (0: no flags, SIMD128). Exact: in the few 16-bit lanes whose weights could
   * overflow, pairQuads moved weights toward zero and `corrections` adds the moved amounts back in 32 bits.
   */
  readonly pairs: number;
  readonly corrections: number;
  /** How many of the ceil(N / 8) column blocks are paired, and their corrections in all. */
  readonly pairedBlocks: number;
  readonly correctionCount: number;
}

/**
 * A column block is paired only if it needs at most K / 64 corrections: pairing saves about one cycle per row per 8
 * inputs, a correction costs a few per row. Normal-like weights need about 2 per block of 8 x 768; weights far from
 * normal (e.g. uniform int8) many more, and those blocks keep the unpaired loop.
 */
const maxCorrectionsPerBlock = (K: number) => Math.floor(K / 64);

/**
 * Activations [M][K] already quantized for the relaxed GEMM (bytes per row, per-row scales and zero points) in the
 * Int8Gemm's quantization scratch: valid until its next call that quantizes (linearAt, layerNormQuantizedAt,
 * activateQuantizedAt).
 */
export interface QuantizedActivations {
  readonly M: number;
  readonly K: number;
  readonly bytes: number;
  readonly rows: number;
}

export interface LinearOptions {
  activation?: ActivationId;
  /** Added after the activation (a residual stream), [M][N]. */
  residual?: Float32Array;
}

/** Per-op time totals (ms) when profiling: `clock` is the caller's (CPU time in Node benchmarks). */
export interface KernelProfile {
  clock(): number;
  totals: Map<string, number>;
}

const PAGE = 65536;
const align16 = (n: number) => (n + 15) & ~15;

/** The tiny module that tells whether this runtime validates relaxed SIMD: (v128.const 0) x3 -> relaxed dot add -> drop. */
const RELAXED_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  4,
  1,
  96,
  0,
  0,
  3,
  2,
  1,
  0,
  10,
  62,
  1,
  60,
  0,
  ...v128Zero(),
  ...v128Zero(),
  ...v128Zero(),
  0xfd,
  0x93,
  0x02,
  0x1a,
  0x0b,
]);

function v128Zero(): number[] {
  return [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
}

export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

export class Int8Gemm {
  private readonly k: KernelExports;
  private top: number;
  /** Set to time every kernel call by op (benchmarks); unset, calls are not timed. */
  profile: KernelProfile | undefined;
  private scratch = {
    x: 0,
    xBytes: 0,
    a: 0,
    aBytes: 0,
    out: 0,
    outBytes: 0,
    res: 0,
    resBytes: 0,
    att: 0,
    attBytes: 0,
    rows: 0,
    rowsBytes: 0,
    row: 0,
    rowBytes: 0,
    xt: 0,
    xtBytes: 0,
  };

  private constructor(
    readonly kind: GemmKind,
    instance: WebAssembly.Instance,
    /** The relaxed kernel's register blocking (unused by SIMD128). */
    readonly blocking: RelaxedBlocking,
  ) {
    this.k = instance.exports as unknown as KernelExports;
    this.top = this.k.memory.buffer.byteLength;
  }

  /**
   * `modules`: the compiled SIMD128 module and, when the runtime validates it, the relaxed one. `prefer` picks the
   * relaxed kernel when available unless told "simd"; `blocking` overrides the runtime's default (tests).
   */
  static async create(
    modules: { simd: WebAssembly.Module; relaxed?: WebAssembly.Module },
    prefer: GemmKind = "relaxed",
    blocking: RelaxedBlocking = defaultRelaxedBlocking(),
  ): Promise<Int8Gemm> {
    const kind: GemmKind = prefer === "relaxed" && modules.relaxed ? "relaxed" : "simd";
    const instance = await WebAssembly.instantiate(kind === "relaxed" ? modules.relaxed! : modules.simd, {});
    return new Int8Gemm(kind, instance, blocking);
  }

  /** Bytes of the kernel's linear memory. */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /** Bump allocation, 16-byte aligned; kernel memory only grows (layers live as long as the engine). */
  alloc(bytes: number): number {
    const at = align16(this.top);
    const end = at + align16(bytes);
    const have = this.k.memory.buffer.byteLength;
    if (end > have) this.k.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return at;
  }

  /** Packs an int8 weight [K][N] (input-major, as the bundle stores it) with its per-output-channel scales and bias. */
  packLinear(weights: Int8Array, K: number, N: number, scales: Float32Array, bias?: Float32Array, options: { pairQuads?: boolean } = {}): PackedLinear {
    if (weights.length !== K * N || scales.length !== N || (bias && bias.length !== N)) throw new Error("packLinear: shape mismatch");
    const nPad = Math.ceil(N / 8) * 8;
    const packed = this.alloc(this.k.packedWeightBytes(K, N));
    const colsum = this.alloc(nPad * 4);
    const sc = this.alloc(nPad * 4);
    const b = bias ? this.alloc(nPad * 4) : 0;
    const pairs = this.k.pairQuads && options.pairQuads !== false ? this.alloc(nPad / 8) : 0;
    const src = this.alloc(K * N);
    new Int8Array(this.k.memory.buffer, src, K * N).set(weights);
    new Float32Array(this.k.memory.buffer, sc, nPad).set(scales);
    if (bias) new Float32Array(this.k.memory.buffer, b, nPad).set(bias);
    this.k.packWeights(src, K, N, packed, colsum);
    // The unpacked copy was the last allocation: give it back.
    this.top = src;
    let corrections = 0;
    let correctionCount = 0;
    let pairedBlocks = 0;
    if (pairs) {
      correctionCount = this.k.pairQuads!(packed, K, N, pairs, 0, maxCorrectionsPerBlock(K), false);
      corrections = this.alloc(correctionCount * 8);
      this.k.pairQuads!(packed, K, N, pairs, corrections, maxCorrectionsPerBlock(K), true);
      pairedBlocks = new Uint8Array(this.k.memory.buffer, pairs, nPad / 8).reduce((n, f) => n + (f > 0 ? 1 : 0), 0);
    }
    return { K, N, weights: packed, colsum, scales: sc, bias: b, pairs, corrections, pairedBlocks, correctionCount };
  }

  /** y [M][N] = activation(dequantize(quantize(x) · W) + bias) + residual, for x [M][K]. */
  linear(x: Float32Array, M: number, layer: PackedLinear, options: LinearOptions = {}): Float32Array {
    const { K, N } = layer;
    if (x.length !== M * K) throw new Error(`linear: x has ${x.length} values, expected ${M}x${K}`);
    if (options.residual && options.residual.length !== M * N) throw new Error("linear: residual shape mismatch");
    const xp = this.scratchBuffer("x", M * K * 4);
    const op = this.scratchBuffer("out", M * N * 4);
    const rp = options.residual ? this.scratchBuffer("res", M * N * 4) : 0;
    this.write(xp, x);
    if (options.residual) this.write(rp, options.residual);
    this.linearAt(xp, M, layer, op, options.activation ?? Activation.none, rp);
    return this.read(op, M * N);
  }

  /** As `linear`, on buffers already in kernel memory (from `alloc`); `residual` 0 for none. */
  linearAt(x: number, M: number, layer: PackedLinear, out: number, activation: ActivationId = Activation.none, residual = 0): void {
    const { K, N } = layer;
    const t0 = this.profile?.clock();
    const ap = this.quantizedBytes(M, K);
    let t1: number | undefined;
    if (this.kind === "relaxed") {
      const rows = this.quantizedRows(M);
      this.k.quantizeActivations(x, M, K, ap, rows);
      t1 = this.profile?.clock();
      this.relaxedGemm(ap, rows, M, layer, out, activation, residual);
    } else {
      const scale = this.k.quantizeActivations(x, M, K, ap);
      t1 = this.profile?.clock();
      this.k.gemm(ap, M, K, layer.weights, N, out, scale, layer.scales, layer.bias, residual, activation);
    }
    if (this.profile) {
      this.record("quantize activations", t0!, t1!);
      this.record(`int8 gemm ${K}x${N}`, t1!, this.profile.clock());
    }
  }

  /** Whether layerNormQuantizedAt, activateQuantizedAt and linearQuantizedAt exist (the relaxed kernel). */
  get quantizesPerRow(): boolean {
    return this.kind === "relaxed";
  }

  /**
   * Relaxed kernel: layerNorm(x) (as layerNormAt) quantized for the next layer's GEMM (as linearAt would), without
   * writing the normalised fp32 rows to memory.
   */
  layerNormQuantizedAt(x: number, M: number, W: number, gamma: number, beta: number, eps: number): QuantizedActivations {
    const t0 = this.profile?.clock();
    const q = this.quantizedOutput(M, W);
    this.relaxedOnly(this.k.layerNormQuantize)(x, M, W, gamma, beta, eps, q.bytes, q.rows, this.scratchBuffer("row", 4 * W * 4));
    if (this.profile) this.record("layer norm + quantize activations", t0!, this.profile.clock());
    return q;
  }

  /**
   * Relaxed kernel: GELU / QuickGELU of x [M][K] (as linearAt's activation pass) quantized for the next layer's GEMM,
   * without writing the activated fp32 values back.
   */
  activateQuantizedAt(x: number, M: number, K: number, activation: ActivationId): QuantizedActivations {
    if (activation === Activation.none) throw new Error("activateQuantizedAt: no activation");
    const t0 = this.profile?.clock();
    const q = this.quantizedOutput(M, K);
    this.relaxedOnly(this.k.activateQuantize)(x, M, K, activation, q.bytes, q.rows, this.scratchBuffer("row", K * 4));
    if (this.profile) this.record("activation + quantize activations", t0!, this.profile.clock());
    return q;
  }

  /** Relaxed kernel: linearAt on activations quantized by layerNormQuantizedAt or activateQuantizedAt. */
  linearQuantizedAt(x: QuantizedActivations, layer: PackedLinear, out: number, activation: ActivationId = Activation.none, residual = 0): void {
    if (this.kind !== "relaxed") throw new Error("linearQuantizedAt: relaxed kernel only");
    if (x.K !== layer.K) throw new Error(`linearQuantizedAt: ${x.K} inputs for a layer of ${layer.K}`);
    if (x.bytes !== this.scratch.a || x.rows !== this.scratch.rows) throw new Error("linearQuantizedAt: stale quantized activations");
    const t0 = this.profile?.clock();
    this.relaxedGemm(x.bytes, x.rows, x.M, layer, out, activation, residual);
    if (this.profile) this.record(`int8 gemm ${layer.K}x${layer.N}`, t0!, this.profile.clock());
  }

  private relaxedGemm(a: number, rows: number, M: number, layer: PackedLinear, out: number, activation: ActivationId, residual: number): void {
    const gemm = this.blocking === "2x8" ? this.k.gemm2x8! : this.k.gemm;
    gemm(a, M, layer.K, layer.weights, layer.N, out, rows, layer.colsum, layer.scales, layer.bias, residual, activation, layer.pairs, layer.corrections);
  }

  private relaxedOnly<F>(f: F | undefined): F {
    if (this.kind !== "relaxed" || !f) throw new Error("relaxed kernel only");
    return f;
  }

  /** The quantization scratch: M rounded up to 4 rows of K rounded up to 4 bytes (x2: SIMD128's i16 copy). */
  private quantizedBytes(M: number, K: number): number {
    return this.scratchBuffer("a", Math.ceil(M / 4) * 4 * Math.ceil(K / 4) * 4 * 2);
  }

  /** Relaxed kernel: per-row f32 scales then i32 zero points, M rounded up to 4. */
  private quantizedRows(M: number): number {
    return this.scratchBuffer("rows", Math.ceil(M / 4) * 4 * 8);
  }

  private quantizedOutput(M: number, K: number): QuantizedActivations {
    if (this.kind !== "relaxed") throw new Error("relaxed kernel only");
    const bytes = this.quantizedBytes(M, K);
    return { M, K, bytes, rows: this.quantizedRows(M) };
  }

  private record(op: string, from: number, to: number): void {
    const totals = this.profile!.totals;
    totals.set(op, (totals.get(op) ?? 0) + (to - from));
  }

  /** Runs fn, its time counted under `op` when profiling. */
  timed<T>(op: string, fn: () => T): T {
    if (!this.profile) return fn();
    const t0 = this.profile.clock();
    const r = fn();
    this.record(op, t0, this.profile.clock());
    return r;
  }

  /** LayerNorm over rows of W floats (W a multiple of 4); gamma/beta in kernel memory. */
  layerNormAt(x: number, M: number, W: number, gamma: number, beta: number, eps: number, out: number): void {
    const t0 = this.profile?.clock();
    this.k.layerNorm(x, M, W, gamma, beta, eps, out);
    if (this.profile) this.record("layer norm", t0!, this.profile.clock());
  }

  /** Multi-head attention on a fused q/k/v projection [M][3W] (q pre-scaled), into out [M][W]. */
  attentionAt(qkv: number, M: number, W: number, heads: number, out: number): void {
    if ((W / heads) % 8 !== 0) throw new Error(`attention: head size ${W / heads} is not a multiple of 8`);
    const mPad = Math.ceil(M / 8) * 8;
    const scratch = this.scratchBuffer("att", (2 * (W / heads) * mPad + 4 * mPad + 16 * (W / heads)) * 4);
    const t0 = this.profile?.clock();
    this.k.attention(qkv, M, W, heads, out, scratch);
    if (this.profile) this.record("attention", t0!, this.profile.clock());
  }

  /**
   * Copies an fp32 weight [K][N] (input-major) into kernel memory in linearF32's layout (blocks of 8 columns, each
   * [K][8], then [K][4] for a last 4); returns where. N a multiple of 4.
   */
  packF32(w: Float32Array, K: number, N: number): number {
    if (N % 4 !== 0) throw new Error(`linearF32: ${N} outputs is not a multiple of 4`);
    if (w.length !== K * N) throw new Error(`packF32: ${w.length} values for ${K}x${N}`);
    const packed = new Float32Array(K * N);
    let at = 0;
    for (let n = 0; n < N; n += 8) {
      const width = Math.min(8, N - n);
      for (let k = 0; k < K; k++) {
        packed.set(w.subarray(k * N + n, k * N + n + width), at);
        at += width;
      }
    }
    return this.floats(packed);
  }

  /** fp32 linear layer on kernel memory: out [M][N] = x [M][K] · W + bias (0: none), W from packF32; N a multiple of 4. */
  linearF32At(x: number, M: number, K: number, w: number, N: number, bias: number, out: number): void {
    if (N % 4 !== 0) throw new Error(`linearF32: ${N} outputs is not a multiple of 4`);
    const scratch = this.scratchBuffer("xt", Math.max(16, (M & ~3) * K * 4));
    const t0 = this.profile?.clock();
    this.k.linearF32(x, M, K, w, N, bias, out, scratch);
    if (this.profile) this.record(`fp32 linear ${K}x${N}`, t0!, this.profile.clock());
  }

  /** out [G²][3·P·P] = the P x P patches of pixels [3][S][S] (S = G·P), columns (c, i, j) as a conv weight's [3][P][P]. */
  unfoldPatchesAt(pixels: number, S: number, P: number, G: number, out: number): void {
    if (S !== G * P) throw new Error(`unfoldPatches: image size ${S} is not ${G} patches of ${P}`);
    const t0 = this.profile?.clock();
    this.k.unfoldPatches(pixels, S, P, G, out);
    if (this.profile) this.record("unfold patches", t0!, this.profile.clock());
  }

  /** x += y, `count` floats (float32 adds); `op` names it when profiling. */
  addAt(x: number, y: number, count: number, op: string): void {
    const t0 = this.profile?.clock();
    this.k.addInPlace(x, y, count);
    if (this.profile) this.record(op, t0!, this.profile.clock());
  }

  /** Each row of `width` floats divided by its L2 norm, in place (sum of squares in float64, as ReduceL2 then Div). */
  l2NormalizeRowsAt(x: number, rows: number, width: number): void {
    const t0 = this.profile?.clock();
    this.k.l2NormalizeRows(x, rows, width);
    if (this.profile) this.record("L2 norm rows", t0!, this.profile.clock());
  }

  /** Copies floats into freshly allocated kernel memory and returns where. */
  floats(data: Float32Array): number {
    const at = this.alloc(data.length * 4);
    this.write(at, data);
    return at;
  }

  write(at: number, data: Float32Array): void {
    new Float32Array(this.k.memory.buffer, at, data.length).set(data);
  }

  /** A view of `count` floats of kernel memory at `at`: valid until the memory grows (any alloc); use it at once. */
  view(at: number, count: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, at, count);
  }

  /** A copy of `count` bytes of kernel memory at `at` (quantized activations, tests). */
  readBytes(at: number, count: number): Uint8Array {
    return new Uint8Array(this.k.memory.buffer, at, count).slice();
  }

  read(at: number, count: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, at, count).slice();
  }

  /** Scratch buffers grow to the largest call and are reused. */
  private scratchBuffer(name: "x" | "a" | "out" | "res" | "att" | "rows" | "row" | "xt", bytes: number): number {
    const s = this.scratch;
    const sizeKey = `${name}Bytes` as const;
    if (s[sizeKey] < bytes) {
      s[name] = this.alloc(bytes);
      s[sizeKey] = bytes;
    }
    return s[name];
  }
}
