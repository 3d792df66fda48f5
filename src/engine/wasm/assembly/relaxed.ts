// Relaxed-SIMD int8 GEMM: i16x8.relaxed_dot_i8x16_i7x16_s, weights int8 and activations quantized to 7 bits (0..127)
// so the unsigned-or-signed reading of the i7 operand is the same on every CPU.
export { lastZeroPoint, packedWeightBytes, packWeights } from "./common";
export { attention, layerNorm, linearF32 } from "./float-ops";
export { addInPlace, l2NormalizeRows, unfoldPatches } from "./encoder-ops";
import {
  ACT_GELU,
  ACT_NONE,
  ACT_QUICK_GELU,
  K_TABLE,
  TAIL,
  activate4,
  activateInPlace,
  epilogue4,
  quantize4,
  quantizeValue,
  rangeScale,
  rangeScaleFinish,
  lastZeroPoint,
} from "./common";
import { layerNormFourRows, layerNormRow } from "./float-ops";

// i32x4.relaxed_dot_i8x16_i7x16_add_s computes the same, but Node 20's baseline compiler (Liftoff, V8 11.3) gets it
// wrong when many accumulators are live (checked: wrong rows under --liftoff-only, right under --no-liftoff). The
// i16 dot + a dot with ones (one pmaddwd, the ones kept in a register) is what x64 lowers the fused instruction to anyway (pmaddubsw, pmaddwd, paddd).
// @ts-ignore: decorator
@inline function dot4(w: v128, x: v128, acc: v128, ones: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x), ones));
}

/** Two quads' i8 dot products added in 16 bits, then widened: exact only on weights pairQuads has prepared. */
// @ts-ignore: decorator
@inline function dot8(wa: v128, xa: v128, wb: v128, xb: v128, acc: v128, ones: v128): v128 {
  const p = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(wa, xa), i16x8.relaxed_dot_i8x16_i7x16_s(wb, xb));
  return i32x4.add(acc, i32x4.dot_i16x8_s(p, ones));
}

/**
 * Quantizes x (f32 [M][K]) to 0..127, each row with its own scale and zero point (DynamicQuantizeLinear's rule on
 * the row): rows of Kpad bytes, M rounded up to 4 rows. `rows`: f32 scales [Mp] then i32 zero points [Mp].
 */
export function quantizeActivations(x: usize, M: i32, K: i32, dst: usize, rows: usize): void {
  const Mp = (M + 3) & ~3;
  for (let m = 0; m < M; m++) quantizeRow(x + (<usize>(m * K) << 2), K, m, Mp, dst, rows);
  for (let m = M; m < Mp; m++) padRow(K, m, Mp, dst, rows);
}

/**
 * quantizeActivations of layerNorm(x) (rows of W floats, W a multiple of 4) without the normalised tensor: each row
 * is normalised into `scratch` (4 x W floats: four rows at a time, as layerNorm; stays in L1), then quantized from
 * there. Same floats, scales and bytes.
 */
export function layerNormQuantize(x: usize, M: i32, W: i32, gamma: usize, beta: usize, eps: f32, dst: usize, rows: usize, scratch: usize): void {
  const Mp = (M + 3) & ~3;
  const rowBytes = <usize>W << 2;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    layerNormFourRows(x + <usize>m * rowBytes, W, gamma, beta, eps, scratch, RANGES);
    for (let r = 0; r < 4; r++) {
      const row = scratch + <usize>r * rowBytes;
      const range = RANGES + (<usize>r << 5);
      const scale = rangeScaleFinish(v128.load(range), v128.load(range, 16), row, W, W, 127);
      quantizeRowAs(row, W, m + r, Mp, dst, rows, scale, lastZeroPoint());
    }
  }
  for (; m < M; m++) {
    layerNormRow(x + <usize>m * rowBytes, W, gamma, beta, eps, scratch);
    quantizeRow(scratch, W, m, Mp, dst, rows);
  }
  for (m = M; m < Mp; m++) padRow(W, m, Mp, dst, rows);
}

/**
 * quantizeActivations of act(x) (GELU or QuickGELU, activateInPlace's arithmetic) without writing the activated
 * tensor: each row is activated into `scratch` (K floats, stays in L1) with its range taken on the way (rangeScale's
 * operations in its order), then quantized from there. Same values, scales and bytes.
 */
export function activateQuantize(x: usize, M: i32, K: i32, act: i32, dst: usize, rows: usize, scratch: usize): void {
  if (act == ACT_GELU) activateQuantizeWith(x, M, K, ACT_GELU, dst, rows, scratch);
  else if (act == ACT_QUICK_GELU) activateQuantizeWith(x, M, K, ACT_QUICK_GELU, dst, rows, scratch);
}

// @ts-ignore: decorator
@inline function activateQuantizeWith(x: usize, M: i32, K: i32, act: i32, dst: usize, rows: usize, scratch: usize): void {
  const Mp = (M + 3) & ~3;
  for (let m = 0; m < M; m++) {
    const src = x + (<usize>(m * K) << 2);
    let lo4 = f32x4.splat(0);
    let hi4 = f32x4.splat(0);
    let i = 0;
    // QuickGELU four vectors a step, GELU two, as activateInPlace (there: why)
    if (act == ACT_QUICK_GELU) {
      for (; i + 16 <= K; i += 16) {
        const p = <usize>i << 2;
        const y0 = activate4(v128.load(src + p), act, K_TABLE);
        const y1 = activate4(v128.load(src + p, 16), act, K_TABLE);
        const y2 = activate4(v128.load(src + p, 32), act, K_TABLE);
        const y3 = activate4(v128.load(src + p, 48), act, K_TABLE);
        v128.store(scratch + p, y0);
        v128.store(scratch + p, y1, 16);
        v128.store(scratch + p, y2, 32);
        v128.store(scratch + p, y3, 48);
        lo4 = f32x4.pmin(y0, lo4);
        hi4 = f32x4.pmax(y0, hi4);
        lo4 = f32x4.pmin(y1, lo4);
        hi4 = f32x4.pmax(y1, hi4);
        lo4 = f32x4.pmin(y2, lo4);
        hi4 = f32x4.pmax(y2, hi4);
        lo4 = f32x4.pmin(y3, lo4);
        hi4 = f32x4.pmax(y3, hi4);
      }
    }
    for (; i + 8 <= K; i += 8) {
      const p = <usize>i << 2;
      const y = activate4(v128.load(src + p), act, K_TABLE);
      const z = activate4(v128.load(src + p, 16), act, K_TABLE);
      v128.store(scratch + p, y);
      v128.store(scratch + p, z, 16);
      lo4 = f32x4.pmin(y, lo4);
      hi4 = f32x4.pmax(y, hi4);
      lo4 = f32x4.pmin(z, lo4);
      hi4 = f32x4.pmax(z, hi4);
    }
    // the last K % 8 values: 4, then 1-3 through TAIL, as activateInPlace
    if (i + 4 <= K) {
      const p = <usize>i << 2;
      const y = activate4(v128.load(src + p), act, K_TABLE);
      v128.store(scratch + p, y);
      lo4 = f32x4.pmin(y, lo4);
      hi4 = f32x4.pmax(y, hi4);
      i += 4;
    }
    if (i < K) {
      const p = <usize>i << 2;
      const lanes = K - i;
      v128.store(TAIL, f32x4.splat(0));
      for (let j = 0; j < lanes; j++) store<f32>(TAIL + (<usize>j << 2), load<f32>(src + p + (<usize>j << 2)));
      v128.store(TAIL, activate4(v128.load(TAIL), act, K_TABLE));
      for (let j = 0; j < lanes; j++) store<f32>(scratch + p + (<usize>j << 2), load<f32>(TAIL + (<usize>j << 2)));
    }
    const scale = rangeScaleFinish(lo4, hi4, scratch, i, K, 127);
    quantizeRowAs(scratch, K, m, Mp, dst, rows, scale, lastZeroPoint());
  }
  for (let m = M; m < Mp; m++) padRow(K, m, Mp, dst, rows);
}

/** The four rows' range lanes (lo, hi) from layerNormFourRows. */
const RANGES: usize = memory.data(128, 16);

/** Row m of quantizeActivations' output from the K floats at src: its Kpad bytes, scale and zero point. */
// @ts-ignore: decorator
@inline function quantizeRow(src: usize, K: i32, m: i32, Mp: i32, dst: usize, rows: usize): void {
  const scale = rangeScale(src, K, 127);
  quantizeRowAs(src, K, m, Mp, dst, rows, scale, lastZeroPoint());
}

/** quantizeRow with the row's scale and zero point given. */
// @ts-ignore: decorator
@inline function quantizeRowAs(src: usize, K: i32, m: i32, Mp: i32, dst: usize, rows: usize, scale: f32, zp: i32): void {
  const Kp = (K + 3) & ~3;
  const row = dst + <usize>(m * Kp);
  const s4 = f32x4.splat(scale);
  const z4 = i32x4.splat(zp);
  const l4 = i32x4.splat(127);
  let k = 0;
  for (; k + 16 <= K; k += 16) {
    const p = src + (<usize>k << 2);
    const lo = i16x8.narrow_i32x4_s(quantize4(v128.load(p), s4, z4, l4), quantize4(v128.load(p, 16), s4, z4, l4));
    const hi = i16x8.narrow_i32x4_s(quantize4(v128.load(p, 32), s4, z4, l4), quantize4(v128.load(p, 48), s4, z4, l4));
    v128.store(row + <usize>k, i8x16.narrow_i16x8_u(lo, hi));
  }
  for (; k < K; k++) store<u8>(row + <usize>k, <u8>quantizeValue(load<f32>(src + (<usize>k << 2)), scale, zp, 127));
  // padding meets zero weights
  for (; k < Kp; k++) store<u8>(row + <usize>k, 0);
  store<f32>(rows + (<usize>m << 2), scale);
  store<i32>(rows + (<usize>(Mp + m) << 2), zp);
}

/** A padding row (m >= M, never stored by the GEMM): zero bytes, scale 1, zero point 0. */
function padRow(K: i32, m: i32, Mp: i32, dst: usize, rows: usize): void {
  const Kp = (K + 3) & ~3;
  memory.fill(dst + <usize>(m * Kp), 0, <usize>Kp);
  store<f32>(rows + (<usize>m << 2), 1);
  store<i32>(rows + (<usize>(Mp + m) << 2), 0);
}

// Two input quads' i16 dot products may be added in 16 bits before widening when no i16 lane can leave
// -32768..32767: a lane sums a·w over 4 inputs (2 of quad 2p, 2 of quad 2p + 1, the same byte offsets) with
// activations in 0..127, so it is exact when 127 x (sum of its positive weights) <= 32767 and 127 x (sum of its
// |negative weights|) <= 32768, i.e. both sums <= PAIR_BOUND.
// @ts-ignore: decorator
@inline const PAIR_BOUND: i32 = 258;

/** One lane's 4 weights while pairQuads works on them. */
const LANE: usize = memory.data(16, 16);

/** Where `correct` leaves a row's two corrected accumulators (columns 0-3, 4-7). */
const CORRECTED: usize = memory.data(32, 16);

/**
 * Prepares packed weights (packWeights' layout, after it computed the column sums of the original weights) for the
 * paired kernel: in every lane over the bound, the largest weights of the offending sign are moved toward zero until
 * the lane fits, and each amount moved becomes a correction (input k, column, amount) that the kernel adds back in
 * 32 bits, so the integer sums stay exact. A column block needing more than `maxPerBlock` corrections is left as it
 * is and unflagged. `apply` false: only count, writing each block's flag (0: not paired, else 1 + its corrections)
 * and returning the total of corrections; `apply` true (after a counting call, `corr` sized for that total):
 * rewrite the flagged blocks and write their corrections, block after block, 8 bytes each (k x 8 + column, amount).
 */
export function pairQuads(packed: usize, K: i32, N: i32, flags: usize, corr: usize, maxPerBlock: i32, apply: bool): i32 {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  let total = 0;
  for (let jb = 0; jb < Nb; jb++) {
    if (apply && load<u8>(flags + <usize>jb) == 0) continue;
    let count = 0;
    for (let q = 0; q + 1 < Kq && count <= maxPerBlock; q += 2) {
      const p = packed + (<usize>(jb * Kq + q) << 5);
      for (let b = 0; b < 32; b += 2) {
        for (let i = 0; i < 4; i++) store<i32>(LANE + (<usize>i << 2), <i32>load<i8>(p + <usize>((i >> 1) * 32 + b + (i & 1))));
        for (let sign = 1; sign >= -1; sign -= 2) {
          let sum = 0;
          for (let i = 0; i < 4; i++) sum += max(0, load<i32>(LANE + (<usize>i << 2)) * sign);
          let excess = sum - PAIR_BOUND;
          while (excess > 0) {
            // the largest weight of this sign in the lane moves toward zero
            let at = 0;
            let big = 0;
            for (let i = 0; i < 4; i++) {
              const v = load<i32>(LANE + (<usize>i << 2)) * sign;
              if (v > big) {
                big = v;
                at = i;
              }
            }
            const d = min(big, excess);
            excess -= d;
            count++;
            store<i32>(LANE + (<usize>at << 2), (big - d) * sign);
            if (apply) {
              const o = (at >> 1) * 32 + b + (at & 1);
              store<i8>(p + <usize>o, <i8>((big - d) * sign));
              store<i32>(corr, ((q + (at >> 1)) * 4 + (o & 3)) * 8 + ((o & 31) >> 4) * 4 + ((o & 15) >> 2));
              store<i32>(corr, d * sign, 4);
              corr += 8;
            }
          }
        }
      }
    }
    if (!apply) store<u8>(flags + <usize>jb, count <= maxPerBlock ? <u8>(count + 1) : 0);
    if (count <= maxPerBlock) total += count;
  }
  return total;
}

/** Adds a block's `nc` corrections for activation row `arow` to its accumulators; returns columns 0-3, 4-7 at CORRECTED + 16. */
function correct(c0: v128, c1: v128, arow: usize, corr: usize, nc: i32): v128 {
  v128.store(CORRECTED, c0);
  v128.store(CORRECTED, c1, 16);
  for (let i = 0; i < nc; i++) {
    const e = corr + (<usize>i << 3);
    const kc = load<i32>(e);
    const at = CORRECTED + (<usize>(kc & 7) << 2);
    store<i32>(at, load<i32>(at) + <i32>load<u8>(arow + <usize>(kc >> 3)) * load<i32>(e, 4));
  }
  return v128.load(CORRECTED);
}

/**
 * out (f32 [M][N]) = epilogue(A · W) as the SIMD128 gemm, with `colsum` from packWeights and each row's scale and zero
 * point from quantizeActivations (`rows`). Blocks of 4 rows x 8 columns; four input quads per step, each row's 16
 * activation bytes loaded once and splat quad by quad with a shuffle (fewer loads per dot product than a splat load
 * per quad). `pairs`, `corr`: pairQuads' flags and corrections (`pairs` 0: none); the flagged column blocks add two
 * quads' i16 products before the widening dot (one pmaddwd per two pmaddubsw instead of one each): the same integer sums.
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
  pairs: usize,
  corr: usize,
): void {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  // with an activation, the residual comes after it: one pass over all of out once its blocks are written (a pass
  // per column block reads rows N x 4 bytes apart, which share L1 sets, and was as slow as the inlined epilogue)
  const res = act == ACT_NONE ? residual : 0;
  for (let jb = 0; jb < Nb; jb++) {
    const wb = w + (<usize>(jb * Kq) << 5);
    const flag: i32 = pairs != 0 ? <i32>load<u8>(pairs + <usize>jb) : 0;
    if (flag == 0) block4x8(a, M, Kq, wb, jb * 8, N, out, rows, colsum, wScale, bias, res);
    else {
      block4x8Paired(a, M, Kq, wb, jb * 8, N, out, rows, colsum, wScale, bias, res, corr, flag - 1);
      corr += <usize>(flag - 1) << 3;
    }
  }
  if (act != ACT_NONE) activateInPlace(out, M * N, residual, act);
}

/**
 * The same sums as `gemm` in blocks of 2 rows x 8 columns, two input quads per step, each activation quad loaded as a
 * splat: for Node 20's V8 (11.3), whose TurboFan spills `gemm`'s accumulators to the stack (4 accumulators, 4 weight
 * and 4 activation vectors and the ones fit its 15 usable xmm registers). workerd's V8 runs `gemm` faster. `pairs`,
 * `corr` as for `gemm`.
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
  pairs: usize,
  corr: usize,
): void {
  const Kq = (K + 3) >> 2;
  const Nb = (N + 7) >> 3;
  // with an activation, the residual comes after it: one pass over all of out once its blocks are written (a pass
  // per column block reads rows N x 4 bytes apart, which share L1 sets, and was as slow as the inlined epilogue)
  const res = act == ACT_NONE ? residual : 0;
  for (let jb = 0; jb < Nb; jb++) {
    const wb = w + (<usize>(jb * Kq) << 5);
    const flag: i32 = pairs != 0 ? <i32>load<u8>(pairs + <usize>jb) : 0;
    if (flag == 0) block2x8(a, M, Kq, wb, jb * 8, N, out, rows, colsum, wScale, bias, res);
    else {
      block2x8Paired(a, M, Kq, wb, jb * 8, N, out, rows, colsum, wScale, bias, res, corr, flag - 1);
      corr += <usize>(flag - 1) << 3;
    }
  }
  if (act != ACT_NONE) activateInPlace(out, M * N, residual, act);
}

/** One column block (columns n..n+7) of `gemm`, every row. */
function block4x8(
  a: usize,
  M: i32,
  Kq: i32,
  wb: usize,
  n: i32,
  N: i32,
  out: usize,
  rows: usize,
  colsum: usize,
  wScale: usize,
  bias: usize,
  residual: usize,
): void {
  const rowBytes = <usize>(Kq * 4);
  const zps = rows + (<usize>((M + 3) & ~3) << 2);
  const ones = i16x8.splat(1);
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
    rowEpilogue(c00, c01, m, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 1 < M) rowEpilogue(c10, c11, m + 1, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 2 < M) rowEpilogue(c20, c21, m + 2, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 3 < M) rowEpilogue(c30, c31, m + 3, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
  }
}

/** `block4x8` adding quads 0 + 1 and 2 + 3 of each step in 16 bits, then the block's `nc` corrections (pairQuads). */
function block4x8Paired(
  a: usize,
  M: i32,
  Kq: i32,
  wb: usize,
  n: i32,
  N: i32,
  out: usize,
  rows: usize,
  colsum: usize,
  wScale: usize,
  bias: usize,
  residual: usize,
  corr: usize,
  nc: i32,
): void {
  const rowBytes = <usize>(Kq * 4);
  const zps = rows + (<usize>((M + 3) & ~3) << 2);
  const ones = i16x8.splat(1);
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
        const v0 = v128.load(wp, 32);
        const v1 = v128.load(wp, 48);
        const x0 = i32x4.shuffle(xv0, xv0, 0, 0, 0, 0);
        const y0 = i32x4.shuffle(xv0, xv0, 1, 1, 1, 1);
        c00 = dot8(w0, x0, v0, y0, c00, ones);
        c01 = dot8(w1, x0, v1, y0, c01, ones);
        const x1 = i32x4.shuffle(xv1, xv1, 0, 0, 0, 0);
        const y1 = i32x4.shuffle(xv1, xv1, 1, 1, 1, 1);
        c10 = dot8(w0, x1, v0, y1, c10, ones);
        c11 = dot8(w1, x1, v1, y1, c11, ones);
        const x2 = i32x4.shuffle(xv2, xv2, 0, 0, 0, 0);
        const y2 = i32x4.shuffle(xv2, xv2, 1, 1, 1, 1);
        c20 = dot8(w0, x2, v0, y2, c20, ones);
        c21 = dot8(w1, x2, v1, y2, c21, ones);
        const x3 = i32x4.shuffle(xv3, xv3, 0, 0, 0, 0);
        const y3 = i32x4.shuffle(xv3, xv3, 1, 1, 1, 1);
        c30 = dot8(w0, x3, v0, y3, c30, ones);
        c31 = dot8(w1, x3, v1, y3, c31, ones);
      }
      {
        const w0 = v128.load(wp, 64);
        const w1 = v128.load(wp, 80);
        const v0 = v128.load(wp, 96);
        const v1 = v128.load(wp, 112);
        const x0 = i32x4.shuffle(xv0, xv0, 2, 2, 2, 2);
        const y0 = i32x4.shuffle(xv0, xv0, 3, 3, 3, 3);
        c00 = dot8(w0, x0, v0, y0, c00, ones);
        c01 = dot8(w1, x0, v1, y0, c01, ones);
        const x1 = i32x4.shuffle(xv1, xv1, 2, 2, 2, 2);
        const y1 = i32x4.shuffle(xv1, xv1, 3, 3, 3, 3);
        c10 = dot8(w0, x1, v0, y1, c10, ones);
        c11 = dot8(w1, x1, v1, y1, c11, ones);
        const x2 = i32x4.shuffle(xv2, xv2, 2, 2, 2, 2);
        const y2 = i32x4.shuffle(xv2, xv2, 3, 3, 3, 3);
        c20 = dot8(w0, x2, v0, y2, c20, ones);
        c21 = dot8(w1, x2, v1, y2, c21, ones);
        const x3 = i32x4.shuffle(xv3, xv3, 2, 2, 2, 2);
        const y3 = i32x4.shuffle(xv3, xv3, 3, 3, 3, 3);
        c30 = dot8(w0, x3, v0, y3, c30, ones);
        c31 = dot8(w1, x3, v1, y3, c31, ones);
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
    if (nc > 0) {
      c00 = correct(c00, c01, a0, corr, nc);
      c01 = v128.load(CORRECTED, 16);
      c10 = correct(c10, c11, a1, corr, nc);
      c11 = v128.load(CORRECTED, 16);
      c20 = correct(c20, c21, a2, corr, nc);
      c21 = v128.load(CORRECTED, 16);
      c30 = correct(c30, c31, a3, corr, nc);
      c31 = v128.load(CORRECTED, 16);
    }
    rowEpilogue(c00, c01, m, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 1 < M) rowEpilogue(c10, c11, m + 1, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 2 < M) rowEpilogue(c20, c21, m + 2, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 3 < M) rowEpilogue(c30, c31, m + 3, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
  }
}

/** One column block of `gemm2x8`, every row. */
function block2x8(
  a: usize,
  M: i32,
  Kq: i32,
  wb: usize,
  n: i32,
  N: i32,
  out: usize,
  rows: usize,
  colsum: usize,
  wScale: usize,
  bias: usize,
  residual: usize,
): void {
  const rowBytes = <usize>(Kq * 4);
  const zps = rows + (<usize>((M + 3) & ~3) << 2);
  const ones = i16x8.splat(1);
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
    rowEpilogue(c00, c01, m, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 1 < M) rowEpilogue(c10, c11, m + 1, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
  }
}

/** `block2x8` adding each step's two quads in 16 bits, then the block's `nc` corrections (pairQuads). */
function block2x8Paired(
  a: usize,
  M: i32,
  Kq: i32,
  wb: usize,
  n: i32,
  N: i32,
  out: usize,
  rows: usize,
  colsum: usize,
  wScale: usize,
  bias: usize,
  residual: usize,
  corr: usize,
  nc: i32,
): void {
  const rowBytes = <usize>(Kq * 4);
  const zps = rows + (<usize>((M + 3) & ~3) << 2);
  const ones = i16x8.splat(1);
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
      c00 = dot8(w0, x0, w2, y0, c00, ones);
      c01 = dot8(w1, x0, w3, y0, c01, ones);
      const x1 = v128.load32_splat(a1 + o);
      const y1 = v128.load32_splat(a1 + o, 4);
      c10 = dot8(w0, x1, w2, y1, c10, ones);
      c11 = dot8(w1, x1, w3, y1, c11, ones);
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
    if (nc > 0) {
      c00 = correct(c00, c01, a0, corr, nc);
      c01 = v128.load(CORRECTED, 16);
      c10 = correct(c10, c11, a1, corr, nc);
      c11 = v128.load(CORRECTED, 16);
    }
    rowEpilogue(c00, c01, m, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
    if (m + 1 < M) rowEpilogue(c10, c11, m + 1, n, N, out, rows, zps, cs0, cs1, wScale, bias, residual);
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
): void {
  const z = v128.load32_splat(zps + (<usize>m << 2));
  const xs = v128.load32_splat(rows + (<usize>m << 2));
  epilogue4(i32x4.sub(c0, i32x4.mul(z, cs0)), m, n, N, out, xs, wScale, bias, residual);
  if (n + 4 < N) epilogue4(i32x4.sub(c1, i32x4.mul(z, cs1)), m, n + 4, N, out, xs, wScale, bias, residual);
}
