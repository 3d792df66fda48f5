// SIMD128 int8 GEMM: activations as int16 (q - zero point), weights widened from int8 in registers, i32x4.dot_i16x8_s.
export { lastZeroPoint, packedWeightBytes, packWeights } from "./common";
export { attention, layerNorm, linearF32 } from "./float-ops";
export { addInPlace, l2NormalizeRows, unfoldPatches } from "./encoder-ops";
import { ACT_NONE, activateInPlace, epilogue4, quantize4, quantizeValue, rangeScale, lastZeroPoint } from "./common";

/**
 * Quantizes x (f32 [M][K]) like DynamicQuantizeLinear (uint8) and writes (q - zp) as int16 rows of Kpad = K rounded
 * up to 4, M rounded up to 2 rows (padding zeros). Returns the scale.
 */
export function quantizeActivations(x: usize, M: i32, K: i32, dst: usize): f32 {
  const scale = rangeScale(x, M * K, 255);
  const zp = lastZeroPoint();
  const Kp = (K + 3) & ~3;
  const Mp = (M + 1) & ~1;
  const s4 = f32x4.splat(scale);
  const z4 = i32x4.splat(zp);
  const l4 = i32x4.splat(255);
  for (let m = 0; m < Mp; m++) {
    const row = dst + (<usize>(m * Kp) << 1);
    const src = x + (<usize>(m * K) << 2);
    let k = 0;
    if (m < M) {
      for (; k + 8 <= K; k += 8) {
        const a = i32x4.sub(quantize4(v128.load(src + (<usize>k << 2)), s4, z4, l4), z4);
        const b = i32x4.sub(quantize4(v128.load(src + (<usize>k << 2), 16), s4, z4, l4), z4);
        v128.store(row + (<usize>k << 1), i16x8.narrow_i32x4_s(a, b));
      }
    }
    for (; k < Kp; k++) {
      const v: i32 = m < M && k < K ? quantizeValue(load<f32>(src + (<usize>k << 2)), scale, zp, 255) - zp : 0;
      store<i16>(row + (<usize>k << 1), <i16>v);
    }
  }
  return scale;
}

// @ts-ignore: decorator
@inline function pairSums(p: v128, q: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(p, q, 0, 2, 4, 6), v128.shuffle<i32>(p, q, 1, 3, 5, 7));
}

/**
 * out (f32 [M][N]) = epilogue(A · W): A from quantizeActivations, W from packWeights. Blocks of 2 rows x 8 columns;
 * each packed column block is reused for all rows while it sits in L1.
 */
export function gemm(a: usize, M: i32, K: i32, w: usize, N: i32, out: usize, xScale: f32, wScale: usize, bias: usize, residual: usize, act: i32): void {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  const rowBytes = <usize>(Kq * 8);
  const xs = f32x4.splat(xScale);
  // with an activation, the residual comes after it: one pass over all of out once its blocks are written (a pass
  // per column block reads rows N x 4 bytes apart, which share L1 sets, and was as slow as the inlined epilogue)
  const res = act == ACT_NONE ? residual : 0;
  for (let jb = 0; jb < Nb; jb++) {
    const wb = w + (<usize>(jb * Kq) << 5);
    for (let m = 0; m < M; m += 2) {
      const a0 = a + <usize>m * rowBytes;
      const a1 = a0 + rowBytes;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c02 = i32x4.splat(0), c03 = i32x4.splat(0);
      let c10 = i32x4.splat(0), c11 = i32x4.splat(0), c12 = i32x4.splat(0), c13 = i32x4.splat(0);
      let wp = wb;
      for (let q = 0; q < Kq; q++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const b0 = i16x8.extend_low_i8x16_s(w0);
        const b1 = i16x8.extend_high_i8x16_s(w0);
        const b2 = i16x8.extend_low_i8x16_s(w1);
        const b3 = i16x8.extend_high_i8x16_s(w1);
        const o = <usize>q << 3;
        const x0 = v128.load64_splat(a0 + o);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, b0));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, b1));
        c02 = i32x4.add(c02, i32x4.dot_i16x8_s(x0, b2));
        c03 = i32x4.add(c03, i32x4.dot_i16x8_s(x0, b3));
        const x1 = v128.load64_splat(a1 + o);
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, b0));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, b1));
        c12 = i32x4.add(c12, i32x4.dot_i16x8_s(x1, b2));
        c13 = i32x4.add(c13, i32x4.dot_i16x8_s(x1, b3));
        wp += 32;
      }
      const n = jb * 8;
      epilogue4(pairSums(c00, c01), m, n, N, out, xs, wScale, bias, res);
      if (n + 4 < N) epilogue4(pairSums(c02, c03), m, n + 4, N, out, xs, wScale, bias, res);
      if (m + 1 < M) {
        epilogue4(pairSums(c10, c11), m + 1, n, N, out, xs, wScale, bias, res);
        if (n + 4 < N) epilogue4(pairSums(c12, c13), m + 1, n + 4, N, out, xs, wScale, bias, res);
      }
    }
  }
  if (act != ACT_NONE) activateInPlace(out, M * N, residual, act);
}
