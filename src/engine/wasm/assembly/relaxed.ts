// Relaxed-SIMD int8 GEMM: i16x8.relaxed_dot_i8x16_i7x16_s, weights int8 and activations quantized to 7 bits (0..127)
// so the unsigned-or-signed reading of the i7 operand is the same on every CPU.
export { lastZeroPoint, packedWeightBytes, packWeights } from "./common";
export { attention, layerNorm, linearF32 } from "./float-ops";
import { epilogue4, quantize4, quantizeValue, rangeScale, lastZeroPoint } from "./common";

// i32x4.relaxed_dot_i8x16_i7x16_add_s computes the same, but Node 20's baseline compiler (Liftoff, V8 11.3) gets it
// wrong when many accumulators are live (checked: wrong rows under --liftoff-only, right under --no-liftoff). The
// i16 dot + a dot with ones (one pmaddwd, the ones kept in a register) is what x64 lowers the fused instruction to anyway (pmaddubsw, pmaddwd, paddd).
// @ts-ignore: decorator
@inline function dot4(w: v128, x: v128, acc: v128, ones: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x), ones));
}

/**
 * Quantizes x (f32 [M][K]) to 0..127, each row with its own scale and zero point (DynamicQuantizeLinear's rule on
 * the row): rows of Kpad bytes, M rounded up to 4 rows. `rows`: f32 scales [Mp] then i32 zero points [Mp].
 */
export function quantizeActivations(x: usize, M: i32, K: i32, dst: usize, rows: usize): void {
  const Kp = (K + 3) & ~3;
  const Mp = (M + 3) & ~3;
  const l4 = i32x4.splat(127);
  const zps = rows + (<usize>Mp << 2);
  for (let m = 0; m < Mp; m++) {
    const row = dst + <usize>(m * Kp);
    const src = x + (<usize>(m * K) << 2);
    let k = 0;
    let scale: f32 = 1;
    let zp: i32 = 0;
    if (m < M) {
      scale = rangeScale(src, K, 127);
      zp = lastZeroPoint();
      const s4 = f32x4.splat(scale);
      const z4 = i32x4.splat(zp);
      for (; k + 16 <= K; k += 16) {
        const p = src + (<usize>k << 2);
        const lo = i16x8.narrow_i32x4_s(quantize4(v128.load(p), s4, z4, l4), quantize4(v128.load(p, 16), s4, z4, l4));
        const hi = i16x8.narrow_i32x4_s(quantize4(v128.load(p, 32), s4, z4, l4), quantize4(v128.load(p, 48), s4, z4, l4));
        v128.store(row + <usize>k, i8x16.narrow_i16x8_u(lo, hi));
      }
    }
    store<f32>(rows + (<usize>m << 2), scale);
    store<i32>(zps + (<usize>m << 2), zp);
    // padding meets zero weights (K) or is never stored (M)
    for (; k < Kp; k++) {
      const v: i32 = m < M && k < K ? quantizeValue(load<f32>(src + (<usize>k << 2)), scale, zp, 127) : 0;
      store<u8>(row + <usize>k, <u8>v);
    }
  }
}

/**
 * out (f32 [M][N]) = epilogue(A · W) as the SIMD128 gemm, with `colsum` from packWeights and each row's scale and zero
 * point from quantizeActivations (`rows`). Blocks of 4 rows x 8 columns; four input quads per step, each row's 16
 * activation bytes loaded once and splat quad by quad with a shuffle (fewer loads per dot product than a splat load
 * per quad).
 */
export function gemm(
  a: usize,
  M: i32,
  K: i32,
  w: usize,
  N: i32,
  out: usize,
  rows: usize,
  colsum: usize,
  wScale: usize,
  bias: usize,
  residual: usize,
  act: i32,
): void {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  const rowBytes = <usize>(Kq * 4);
  const Mp = (M + 3) & ~3;
  const zps = rows + (<usize>Mp << 2);
  const ones = i16x8.splat(1);
  for (let jb = 0; jb < Nb; jb++) {
    const wb = w + (<usize>(jb * Kq) << 5);
    const n = jb * 8;
    const cs0 = v128.load(colsum + (<usize>n << 2));
    const cs1 = v128.load(colsum + (<usize>(n + 4) << 2));
    for (let m = 0; m < M; m += 4) {
      const a0 = a + <usize>m * rowBytes;
      const a1 = a0 + rowBytes;
      const a2 = a1 + rowBytes;
      const a3 = a2 + rowBytes;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
      let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
      let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      let wp = wb;
      let q = 0;
      for (; q + 4 <= Kq; q += 4) {
        const o = <usize>q << 2;
        const xv0 = v128.load(a0 + o);
        const xv1 = v128.load(a1 + o);
        const xv2 = v128.load(a2 + o);
        const xv3 = v128.load(a3 + o);
        {
          const w0 = v128.load(wp, 0);
          const w1 = v128.load(wp, 16);
          const x0 = i32x4.shuffle(xv0, xv0, 0, 0, 0, 0);
          c00 = dot4(w0, x0, c00, ones);
          c01 = dot4(w1, x0, c01, ones);
          const x1 = i32x4.shuffle(xv1, xv1, 0, 0, 0, 0);
          c10 = dot4(w0, x1, c10, ones);
          c11 = dot4(w1, x1, c11, ones);
          const x2 = i32x4.shuffle(xv2, xv2, 0, 0, 0, 0);
          c20 = dot4(w0, x2, c20, ones);
          c21 = dot4(w1, x2, c21, ones);
          const x3 = i32x4.shuffle(xv3, xv3, 0, 0, 0, 0);
          c30 = dot4(w0, x3, c30, ones);
          c31 = dot4(w1, x3, c31, ones);
        }
        {
          const w0 = v128.load(wp, 32);
          const w1 = v128.load(wp, 48);
          const x0 = i32x4.shuffle(xv0, xv0, 1, 1, 1, 1);
          c00 = dot4(w0, x0, c00, ones);
          c01 = dot4(w1, x0, c01, ones);
          const x1 = i32x4.shuffle(xv1, xv1, 1, 1, 1, 1);
          c10 = dot4(w0, x1, c10, ones);
          c11 = dot4(w1, x1, c11, ones);
          const x2 = i32x4.shuffle(xv2, xv2, 1, 1, 1, 1);
          c20 = dot4(w0, x2, c20, ones);
          c21 = dot4(w1, x2, c21, ones);
          const x3 = i32x4.shuffle(xv3, xv3, 1, 1, 1, 1);
          c30 = dot4(w0, x3, c30, ones);
          c31 = dot4(w1, x3, c31, ones);
        }
        {
          const w0 = v128.load(wp, 64);
          const w1 = v128.load(wp, 80);
          const x0 = i32x4.shuffle(xv0, xv0, 2, 2, 2, 2);
          c00 = dot4(w0, x0, c00, ones);
          c01 = dot4(w1, x0, c01, ones);
          const x1 = i32x4.shuffle(xv1, xv1, 2, 2, 2, 2);
          c10 = dot4(w0, x1, c10, ones);
          c11 = dot4(w1, x1, c11, ones);
          const x2 = i32x4.shuffle(xv2, xv2, 2, 2, 2, 2);
          c20 = dot4(w0, x2, c20, ones);
          c21 = dot4(w1, x2, c21, ones);
          const x3 = i32x4.shuffle(xv3, xv3, 2, 2, 2, 2);
          c30 = dot4(w0, x3, c30, ones);
          c31 = dot4(w1, x3, c31, ones);
        }
        {
          const w0 = v128.load(wp, 96);
          const w1 = v128.load(wp, 112);
          const x0 = i32x4.shuffle(xv0, xv0, 3, 3, 3, 3);
          c00 = dot4(w0, x0, c00, ones);
          c01 = dot4(w1, x0, c01, ones);
          const x1 = i32x4.shuffle(xv1, xv1, 3, 3, 3, 3);
          c10 = dot4(w0, x1, c10, ones);
          c11 = dot4(w1, x1, c11, ones);
          const x2 = i32x4.shuffle(xv2, xv2, 3, 3, 3, 3);
          c20 = dot4(w0, x2, c20, ones);
          c21 = dot4(w1, x2, c21, ones);
          const x3 = i32x4.shuffle(xv3, xv3, 3, 3, 3, 3);
          c30 = dot4(w0, x3, c30, ones);
          c31 = dot4(w1, x3, c31, ones);
        }
        wp += 128;
      }
      for (; q < Kq; q++) {
        const o = <usize>q << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const x0 = v128.load32_splat(a0 + o);
        c00 = dot4(w0, x0, c00, ones);
        c01 = dot4(w1, x0, c01, ones);
        const x1 = v128.load32_splat(a1 + o);
        c10 = dot4(w0, x1, c10, ones);
        c11 = dot4(w1, x1, c11, ones);
        const x2 = v128.load32_splat(a2 + o);
        c20 = dot4(w0, x2, c20, ones);
        c21 = dot4(w1, x2, c21, ones);
        const x3 = v128.load32_splat(a3 + o);
        c30 = dot4(w0, x3, c30, ones);
        c31 = dot4(w1, x3, c31, ones);
        wp += 32;
      }
      rowEpilogue(c00, c01, m, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual, act);
      if (m + 1 < M) rowEpilogue(c10, c11, m + 1, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual, act);
      if (m + 2 < M) rowEpilogue(c20, c21, m + 2, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual, act);
      if (m + 3 < M) rowEpilogue(c30, c31, m + 3, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual, act);
    }
  }
}

/**
 * The same sums as `gemm` in blocks of 2 rows x 8 columns, two input quads per step, each activation quad loaded as a
 * splat: for Node 20's V8 (11.3), whose TurboFan spills `gemm`'s accumulators to the stack (4 accumulators, 4 weight
 * and 4 activation vectors and the ones fit its 15 usable xmm registers). workerd's V8 runs `gemm` faster.
 */
export function gemm2x8(
  a: usize,
  M: i32,
  K: i32,
  w: usize,
  N: i32,
  out: usize,
  rows: usize,
  colsum: usize,
  wScale: usize,
  bias: usize,
  residual: usize,
  act: i32,
): void {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  const rowBytes = <usize>(Kq * 4);
  const Mp = (M + 3) & ~3;
  const zps = rows + (<usize>Mp << 2);
  const ones = i16x8.splat(1);
  for (let jb = 0; jb < Nb; jb++) {
    const wb = w + (<usize>(jb * Kq) << 5);
    const n = jb * 8;
    const cs0 = v128.load(colsum + (<usize>n << 2));
    const cs1 = v128.load(colsum + (<usize>(n + 4) << 2));
    for (let m = 0; m < M; m += 2) {
      const a0 = a + <usize>m * rowBytes;
      const a1 = a0 + rowBytes;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let wp = wb;
      let q = 0;
      for (; q + 2 <= Kq; q += 2) {
        const o = <usize>q << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const w2 = v128.load(wp, 32);
        const w3 = v128.load(wp, 48);
        const x0 = v128.load32_splat(a0 + o);
        const y0 = v128.load32_splat(a0 + o, 4);
        c00 = dot4(w2, y0, dot4(w0, x0, c00, ones), ones);
        c01 = dot4(w3, y0, dot4(w1, x0, c01, ones), ones);
        const x1 = v128.load32_splat(a1 + o);
        const y1 = v128.load32_splat(a1 + o, 4);
        c10 = dot4(w2, y1, dot4(w0, x1, c10, ones), ones);
        c11 = dot4(w3, y1, dot4(w1, x1, c11, ones), ones);
        wp += 64;
      }
      for (; q < Kq; q++) {
        const o = <usize>q << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const x0 = v128.load32_splat(a0 + o);
        c00 = dot4(w0, x0, c00, ones);
        c01 = dot4(w1, x0, c01, ones);
        const x1 = v128.load32_splat(a1 + o);
        c10 = dot4(w0, x1, c10, ones);
        c11 = dot4(w1, x1, c11, ones);
        wp += 32;
      }
      rowEpilogue(c00, c01, m, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual, act);
      if (m + 1 < M) rowEpilogue(c10, c11, m + 1, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual, act);
    }
  }
}

/** Row m's 8 columns n..n+7: subtract zp_m x column sums, then the shared epilogue with the row's scale. */
// @ts-ignore: decorator
@inline function rowEpilogue(
  c0: v128,
  c1: v128,
  m: i32,
  n: i32,
  N: i32,
  out: usize,
  rows: usize,
  zps: usize,
  cs0: v128,
  cs1: v128,
  wScale: usize,
  bias: usize,
  residual: usize,
  act: i32,
): void {
  const z = v128.load32_splat(zps + (<usize>m << 2));
  const xs = v128.load32_splat(rows + (<usize>m << 2));
  epilogue4(i32x4.sub(c0, i32x4.mul(z, cs0)), m, n, N, out, xs, wScale, bias, residual, act);
  if (n + 4 < N) epilogue4(i32x4.sub(c1, i32x4.mul(z, cs1)), m, n + 4, N, out, xs, wScale, bias, residual, act);
}
