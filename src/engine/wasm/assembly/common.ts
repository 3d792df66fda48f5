// int8 GEMM building blocks shared by the SIMD128 and relaxed-SIMD kernel modules (AssemblyScript, no GC, raw
// pointers into linear memory that the TypeScript side lays out).
//
// Packed weights: int8 W[K][N] (the bundle's [in, out] order) in blocks of 8 output columns; inside a block, per
// group of 4 inputs (a "quad"), 32 bytes: columns 0-3 then 4-7, each column's 4 inputs together. K is padded to a
// multiple of 4 and N to a multiple of 8 with zeros.

// @ts-ignore: decorator
@inline export const NR: i32 = 8;

let zeroPoint: i32 = 0;

/** Zero point of the last `quantize*` call. */
export function lastZeroPoint(): i32 {
  return zeroPoint;
}

export function packedWeightBytes(K: i32, N: i32): i32 {
  return ((K + 3) >> 2) * 4 * (((N + 7) >> 3) * 8);
}

/** Packs w (int8 [K][N]) as described above and writes every column's sum of weights (int32 [Npad]). */
export function packWeights(w: usize, K: i32, N: i32, dst: usize, colsum: usize): void {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  for (let jb = 0; jb < Nb; jb++) {
    for (let q = 0; q < Kq; q++) {
      const base = dst + (<usize>(jb * Kq + q) << 5);
      for (let h = 0; h < 2; h++) {
        for (let c = 0; c < 4; c++) {
          const n = jb * 8 + h * 4 + c;
          for (let i = 0; i < 4; i++) {
            const k = q * 4 + i;
            const v: i8 = n < N && k < K ? load<i8>(w + <usize>(k * N + n)) : 0;
            store<i8>(base + <usize>(h * 16 + c * 4 + i), v);
          }
        }
      }
    }
  }
  for (let n = 0; n < Nb * 8; n++) {
    let s: i32 = 0;
    if (n < N) for (let k = 0; k < K; k++) s += <i32>load<i8>(w + <usize>(k * N + n));
    store<i32>(colsum + (<usize>n << 2), s);
  }
}

/**
 * onnx DynamicQuantizeLinear's scale and zero point for `levels` (255: uint8, 127: the relaxed dot's 7 bits):
 * the range of x widened to include 0, zero point rounded half to even. Returns the scale; `lastZeroPoint()` the zp.
 */
export function rangeScale(x: usize, count: i32, levels: i32): f32 {
  let lo4 = f32x4.splat(0);
  let hi4 = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    // pmin/pmax are one instruction each on x64 (IEEE min/max eight); they differ only on NaN and the sign of a zero,
    // neither of which changes the scale and zero point of finite inputs
    lo4 = f32x4.pmin(v, lo4);
    hi4 = f32x4.pmax(v, hi4);
  }
  return rangeScaleFinish(lo4, hi4, x, i, count, levels);
}

/** rangeScale after its vector loop: lo4, hi4 over values 0..i-1 (4 at a time, in order), the values i..count-1 at x. */
// @ts-ignore: decorator
@inline export function rangeScaleFinish(lo4: v128, hi4: v128, x: usize, i: i32, count: i32, levels: i32): f32 {
  let lo: f32 = min(min(f32x4.extract_lane(lo4, 0), f32x4.extract_lane(lo4, 1)), min(f32x4.extract_lane(lo4, 2), f32x4.extract_lane(lo4, 3)));
  let hi: f32 = max(max(f32x4.extract_lane(hi4, 0), f32x4.extract_lane(hi4, 1)), max(f32x4.extract_lane(hi4, 2), f32x4.extract_lane(hi4, 3)));
  for (; i < count; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  let scale: f32 = (hi - lo) / <f32>levels;
  if (scale == 0) scale = 1;
  let zp = <i32>nearest(-lo / scale);
  zeroPoint = zp < 0 ? 0 : zp > levels ? levels : zp;
  return scale;
}

/**
 * 4 values quantized like quantizeValue, as i32x4, for values within the range `scale` came from (|v / scale| <=
 * levels): there v / scale + 1.5 * 2^23 is rounded half to even to an integer, which its low mantissa bits hold, so
 * the bits minus those of 1.5 * 2^23 are nearest(v / scale) (f32x4.nearest and trunc_sat are instruction sequences on x64).
 */
// @ts-ignore: decorator
@inline export function quantize4(v: v128, scale: v128, zp: v128, levels: v128): v128 {
  const magic = f32x4.splat(12582912.0);
  const q = i32x4.add(i32x4.sub(f32x4.add(f32x4.div(v, scale), magic), magic), zp);
  return i32x4.min_s(i32x4.max_s(q, i32x4.splat(0)), levels);
}

// @ts-ignore: decorator
@inline export function quantizeValue(v: f32, scale: f32, zp: i32, levels: i32): i32 {
  let q = <i32>nearest(v / scale) + zp;
  return q < 0 ? 0 : q > levels ? levels : q;
}

/** c + a * b on f32x4: fused (one rounding) where the relaxed module runs on FMA hardware, else multiply then add. */
// @ts-ignore: decorator
@inline export function madd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** c - a * b on f32x4, fused or not as madd4. */
// @ts-ignore: decorator
@inline export function nmadd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

export const ACT_NONE: i32 = 0;
export const ACT_GELU: i32 = 1;
export const ACT_QUICK_GELU: i32 = 2;

// exp of 4 floats (Cephes expf: 2^n e^r, |r| <= ln2 / 2, degree-6 polynomial; relative error ~2e-7). Rounds with the
// 1.5 * 2^23 trick and clamps with pmin/pmax: f32x4.nearest, trunc_sat and IEEE min/max are instruction sequences on x64.
// Its multiply-adds are fused in the relaxed module (madd4, nmadd4): fewer instructions, one rounding each.
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  return expWith(x, 0);
}

// The activations' constants, for loops that would keep more constant vectors live than x64 has registers: V8 then
// rematerializes each one in the loop (3 instructions: mov, movq, punpcklqdq) where a splat load from this table is
// one. Same f32 values as the literals; `konst` picks the literal (table 0) or the table entry. float-ops.ts's
// softmax exp loads exp's constants (entries 1-12, and 127) from here too.
export const K_TABLE: usize = memory.data<f32>([
  88.3, -87.3, 12582912.0, 1.44269504088896341, 0.693359375, -2.1219444e-4, 1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3,
  4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1, 1, 0.3275911, 1.061405429, -1.453152027, 1.421413741, -0.284496736,
  0.254829592, 0.5, 0.7071067811865476, -1.702,
]);
export const K_INTS: usize = memory.data<i32>([127, 0x7fffffff, 0x80000000]);

// @ts-ignore: decorator
@inline function konst(value: f32, table: usize, index: i32): v128 {
  return table ? v128.load32_splat(table + (<usize>index << 2)) : f32x4.splat(value);
}

// @ts-ignore: decorator
@inline function konstInt(value: i32, table: usize, index: i32): v128 {
  return table ? v128.load32_splat(K_INTS + (<usize>index << 2)) : i32x4.splat(value);
}

// @ts-ignore: decorator
@inline function expWith(x: v128, k: usize): v128 {
  const v = f32x4.pmax(f32x4.pmin(x, konst(88.3, k, 0)), konst(-87.3, k, 1));
  const magic = konst(12582912.0, k, 2);
  const t = madd4(v, konst(1.44269504088896341, k, 3), magic);
  const n = f32x4.sub(t, magic);
  const r = nmadd4(n, konst(-2.12194440e-4, k, 5), nmadd4(n, konst(0.693359375, k, 4), v));
  let p = konst(1.9875691500e-4, k, 6);
  p = madd4(p, r, konst(1.3981999507e-3, k, 7));
  p = madd4(p, r, konst(8.3334519073e-3, k, 8));
  p = madd4(p, r, konst(4.1665795894e-2, k, 9));
  p = madd4(p, r, konst(1.6666665459e-1, k, 10));
  p = madd4(p, r, konst(5.0000001201e-1, k, 11));
  const e = f32x4.add(madd4(f32x4.mul(p, r), r, r), konst(1, k, 12));
  const pow2n = i32x4.shl(i32x4.add(i32x4.sub(t, magic), konstInt(127, k, 0)), 23);
  return f32x4.mul(e, pow2n);
}

// erf of 4 floats, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
// @ts-ignore: decorator
@inline function erfWith(x: v128, k: usize): v128 {
  const one = konst(1, k, 12);
  const a = f32x4.abs(x);
  const t = f32x4.div(one, f32x4.add(one, f32x4.mul(konst(0.3275911, k, 13), a)));
  let p = konst(1.061405429, k, 14);
  p = f32x4.add(f32x4.mul(p, t), konst(-1.453152027, k, 15));
  p = f32x4.add(f32x4.mul(p, t), konst(1.421413741, k, 16));
  p = f32x4.add(f32x4.mul(p, t), konst(-0.284496736, k, 17));
  p = f32x4.add(f32x4.mul(p, t), konst(0.254829592, k, 18));
  const y = f32x4.sub(one, f32x4.mul(f32x4.mul(p, t), expWith(f32x4.neg(f32x4.mul(a, a)), k)));
  // copy the sign of x
  return v128.or(v128.and(y, konstInt(0x7fffffff, k, 1)), v128.and(x, konstInt(0x80000000, k, 2)));
}

// @ts-ignore: decorator
@inline export function activate4(v: v128, act: i32, k: usize): v128 {
  const one = konst(1, k, 12);
  if (act == ACT_GELU) return f32x4.mul(f32x4.mul(konst(0.5, k, 19), v), f32x4.add(one, erfWith(f32x4.mul(v, konst(0.7071067811865476, k, 20)), k)));
  if (act == ACT_QUICK_GELU) return f32x4.div(v, f32x4.add(one, expWith(f32x4.mul(v, konst(-1.702, k, 21)), k)));
  return v;
}

/**
 * Epilogue of 4 columns n..n+3 of row m: y = acc * (xScale * wScale[n]) + bias[n], then + residual[m][n]; stores the
 * columns < N. wScale, bias (0 = none) are padded to a multiple of 8. The activation is not here: the GEMMs apply it
 * with `activateInPlace` over their whole output (the activation's code inlined into the block loops made them
 * slower per multiply-add).
 */
// @ts-ignore: decorator
@inline export function epilogue4(
  acc: v128,
  m: i32,
  n: i32,
  N: i32,
  out: usize,
  xScale: v128,
  wScale: usize,
  bias: usize,
  residual: usize,
): void {
  let y = f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(xScale, v128.load(wScale + (<usize>n << 2))));
  if (bias) y = f32x4.add(y, v128.load(bias + (<usize>n << 2)));
  const at = <usize>(m * N + n) << 2;
  if (n + 4 <= N) {
    if (residual) y = f32x4.add(y, v128.load(residual + at));
    v128.store(out + at, y);
    return;
  }
  const lanes = N - n;
  for (let j = 0; j < lanes; j++) {
    let v: f32 = j == 0 ? f32x4.extract_lane(y, 0) : j == 1 ? f32x4.extract_lane(y, 1) : f32x4.extract_lane(y, 2);
    const p = out + at + (<usize>j << 2);
    if (residual) v += load<f32>(residual + at + (<usize>j << 2));
    store<f32>(p, v);
  }
}

/** The last 1-3 values while `activateInPlace` works on them. */
export const TAIL: usize = memory.data(16, 16);

/**
 * y = act(y) + residual (residual 0: none) for the `count` floats at out: the operations, in the same order, of the
 * epilogue when it applied them, as one pass over a GEMM's whole output.
 */
export function activateInPlace(out: usize, count: i32, residual: usize, act: i32): void {
  if (act == ACT_GELU) activateWith(out, out, count, residual, ACT_GELU);
  else if (act == ACT_QUICK_GELU) activateWith(out, out, count, residual, ACT_QUICK_GELU);
}

// @ts-ignore: decorator
@inline function activateWith(src: usize, out: usize, count: i32, residual: usize, act: i32): void {
  let i = 0;
  // QuickGELU four vectors a step, GELU two: independent dependency chains in flight. exp's chain is ~25 dependent
  // operations and the core's scheduler fills with waiting operations of too few chains: QuickGELU four a step takes
  // 0.65x the time of two (two 0.83x the time of one); GELU's erf keeps more values live, four a step spill and
  // were no faster than two (0.83x one); eight QuickGELU a step spill and are slower than four
  if (act == ACT_QUICK_GELU) {
    for (; i + 16 <= count; i += 16) {
      const p = <usize>i << 2;
      let y0 = activate4(v128.load(src + p), act, K_TABLE);
      let y1 = activate4(v128.load(src + p, 16), act, K_TABLE);
      let y2 = activate4(v128.load(src + p, 32), act, K_TABLE);
      let y3 = activate4(v128.load(src + p, 48), act, K_TABLE);
      if (residual) {
        y0 = f32x4.add(y0, v128.load(residual + p));
        y1 = f32x4.add(y1, v128.load(residual + p, 16));
        y2 = f32x4.add(y2, v128.load(residual + p, 32));
        y3 = f32x4.add(y3, v128.load(residual + p, 48));
      }
      v128.store(out + p, y0);
      v128.store(out + p, y1, 16);
      v128.store(out + p, y2, 32);
      v128.store(out + p, y3, 48);
    }
  }
  for (; i + 8 <= count; i += 8) {
    const p = <usize>i << 2;
    let y = activate4(v128.load(src + p), act, K_TABLE);
    let z = activate4(v128.load(src + p, 16), act, K_TABLE);
    if (residual) {
      y = f32x4.add(y, v128.load(residual + p));
      z = f32x4.add(z, v128.load(residual + p, 16));
    }
    v128.store(out + p, y);
    v128.store(out + p, z, 16);
  }
  if (i + 4 <= count) {
    const p = <usize>i << 2;
    let y = activate4(v128.load(src + p), act, K_TABLE);
    if (residual) y = f32x4.add(y, v128.load(residual + p));
    v128.store(out + p, y);
    i += 4;
  }
  if (i == count) return;
  const p = <usize>i << 2;
  const lanes = count - i;
  v128.store(TAIL, f32x4.splat(0));
  for (let j = 0; j < lanes; j++) store<f32>(TAIL + (<usize>j << 2), load<f32>(src + p + (<usize>j << 2)));
  v128.store(TAIL, activate4(v128.load(TAIL), act, K_TABLE));
  for (let j = 0; j < lanes; j++) {
    let v = load<f32>(TAIL + (<usize>j << 2));
    if (residual) v += load<f32>(residual + p + (<usize>j << 2));
    store<f32>(out + p + (<usize>j << 2), v);
  }
}
