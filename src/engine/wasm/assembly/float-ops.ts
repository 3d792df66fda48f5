// float32 pieces of a ViT block around the int8 linear layers: LayerNorm and multi-head attention (fp32, softmax).
import { exp4, K_INTS, K_TABLE, madd4, nmadd4 } from "./common";

/** out[m] = (x[m] - mean) / sqrt(var + eps) * gamma + beta, rows of W floats (W a multiple of 4). */
export function layerNorm(x: usize, M: i32, W: i32, gamma: usize, beta: usize, eps: f32, out: usize): void {
  let m = 0;
  for (; m + 4 <= M; m += 4) layerNormFourRows(x + (<usize>(m * W) << 2), W, gamma, beta, eps, out + (<usize>(m * W) << 2));
  for (; m < M; m++) layerNormRow(x + (<usize>(m * W) << 2), W, gamma, beta, eps, out + (<usize>(m * W) << 2));
}

/**
 * layerNormRow on the four consecutive rows at x, into the four rows at o: the same sums in the same order per row,
 * but the rows' sum and variance chains run side by side (one row's chain of dependent adds waits on their latency).
 */
// @ts-ignore: decorator
@inline export function layerNormFourRows(x: usize, W: i32, gamma: usize, beta: usize, eps: f32, o: usize, range: usize = 0): void {
  const rowBytes = <usize>W << 2;
  fourRowStats(x, W, eps, STATS);
  normaliseRow(x, W, gamma, beta, v128.load(STATS), v128.load(STATS, 64), o, range);
  normaliseRow(x + rowBytes, W, gamma, beta, v128.load(STATS, 16), v128.load(STATS, 80), o + rowBytes, range ? range + 32 : 0);
  normaliseRow(x + 2 * rowBytes, W, gamma, beta, v128.load(STATS, 32), v128.load(STATS, 96), o + 2 * rowBytes, range ? range + 64 : 0);
  normaliseRow(x + 3 * rowBytes, W, gamma, beta, v128.load(STATS, 48), v128.load(STATS, 112), o + 3 * rowBytes, range ? range + 96 : 0);
}

/** Where fourRowStats leaves its splat means and reciprocal deviations (layerNormFourRows). */
export const STATS: usize = memory.data(128, 16);

/**
 * The four consecutive rows' (at x) means then reciprocal standard deviations 1 / sqrt(var + eps), each splat to
 * 4 lanes, into the 8 vectors at `stats`, computed as layerNormRow computes them.
 */
// @ts-ignore: decorator
@inline export function fourRowStats(x: usize, W: i32, eps: f32, stats: usize): void {
  const inv = <f32>1 / <f32>W;
  const rowBytes = <usize>W << 2;
  const x1 = x + rowBytes;
  const x2 = x1 + rowBytes;
  const x3 = x2 + rowBytes;
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  for (let i = 0; i < W; i += 4) {
    const at = <usize>i << 2;
    s0 = f32x4.add(s0, v128.load(x + at));
    s1 = f32x4.add(s1, v128.load(x1 + at));
    s2 = f32x4.add(s2, v128.load(x2 + at));
    s3 = f32x4.add(s3, v128.load(x3 + at));
  }
  const m0 = f32x4.splat(laneSum(s0) * inv);
  const m1 = f32x4.splat(laneSum(s1) * inv);
  const m2 = f32x4.splat(laneSum(s2) * inv);
  const m3 = f32x4.splat(laneSum(s3) * inv);
  let v0 = f32x4.splat(0);
  let v1 = f32x4.splat(0);
  let v2 = f32x4.splat(0);
  let v3 = f32x4.splat(0);
  for (let i = 0; i < W; i += 4) {
    const at = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(x + at), m0);
    v0 = madd4(d0, d0, v0);
    const d1 = f32x4.sub(v128.load(x1 + at), m1);
    v1 = madd4(d1, d1, v1);
    const d2 = f32x4.sub(v128.load(x2 + at), m2);
    v2 = madd4(d2, d2, v2);
    const d3 = f32x4.sub(v128.load(x3 + at), m3);
    v3 = madd4(d3, d3, v3);
  }
  v128.store(stats, m0);
  v128.store(stats, m1, 16);
  v128.store(stats, m2, 32);
  v128.store(stats, m3, 48);
  v128.store(stats, f32x4.splat(<f32>1 / Mathf.sqrt(laneSum(v0) * inv + eps)), 64);
  v128.store(stats, f32x4.splat(<f32>1 / Mathf.sqrt(laneSum(v1) * inv + eps)), 80);
  v128.store(stats, f32x4.splat(<f32>1 / Mathf.sqrt(laneSum(v2) * inv + eps)), 96);
  v128.store(stats, f32x4.splat(<f32>1 / Mathf.sqrt(laneSum(v3) * inv + eps)), 112);
}

/** LayerNorm of 4 values x given their row's splat mean and reciprocal deviation, gamma g and beta b. */
// @ts-ignore: decorator
@inline export function normalise4(x: v128, mean4: v128, r4: v128, g: v128, b: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(x, mean4), r4), g), b);
}

/** lane 0 + lane 1 + lane 2 + lane 3, left to right. */
// @ts-ignore: decorator
@inline function laneSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function normaliseRow(row: usize, W: i32, gamma: usize, beta: usize, mean4: v128, r4: v128, o: usize, range: usize): void {
  if (range) {
    // also the row's pmin / pmax lanes as rangeScale takes them (from 0, in order), at range and range + 16
    let lo4 = f32x4.splat(0);
    let hi4 = f32x4.splat(0);
    for (let i = 0; i < W; i += 4) {
      const at = <usize>i << 2;
      const y = normalise4(v128.load(row + at), mean4, r4, v128.load(gamma + at), v128.load(beta + at));
      v128.store(o + at, y);
      lo4 = f32x4.pmin(y, lo4);
      hi4 = f32x4.pmax(y, hi4);
    }
    v128.store(range, lo4);
    v128.store(range, hi4, 16);
    return;
  }
  for (let i = 0; i < W; i += 4) {
    const at = <usize>i << 2;
    v128.store(o + at, normalise4(v128.load(row + at), mean4, r4, v128.load(gamma + at), v128.load(beta + at)));
  }
}

/** One row of `layerNorm`: W floats at row -> o (W a multiple of 4). */
// @ts-ignore: decorator
@inline export function layerNormRow(row: usize, W: i32, gamma: usize, beta: usize, eps: f32, o: usize): void {
  const inv = <f32>1 / <f32>W;
  let s4 = f32x4.splat(0);
  for (let i = 0; i < W; i += 4) s4 = f32x4.add(s4, v128.load(row + (<usize>i << 2)));
  const mean = laneSum(s4) * inv;
  const mean4 = f32x4.splat(mean);
  let v4 = f32x4.splat(0);
  for (let i = 0; i < W; i += 4) {
    const d = f32x4.sub(v128.load(row + (<usize>i << 2)), mean4);
    v4 = madd4(d, d, v4);
  }
  normaliseRow(row, W, gamma, beta, mean4, f32x4.splat(<f32>1 / Mathf.sqrt(laneSum(v4) * inv + eps)), o, 0);
}

/**
 * Multi-head attention on a fused projection qkv [M][3W] (q already scaled by 1/sqrt(d)): out [M][W], head h in
 * columns h*d..h*d+d. `scratch` holds one head's K packed by blocks of 8 tokens ([Mp/8][d][8], Mp = M rounded up to
 * 8, tokens past M zero), its V by blocks of 8 columns ([d/8][M][8]), four query rows' scores by token ([Mp][4]: the
 * P·V loop splat-loads them from one pointer) and their q values splat ([d][4][4]): query rows go four at a time, so
 * each load of K and V serves four rows, and both are read sequentially. d must be a multiple of 8.
 */
export function attention(qkv: usize, M: i32, W: i32, heads: i32, out: usize, scratch: usize): void {
  const d = W / heads;
  const Mp = (M + 7) & ~7;
  const kt = scratch;
  const vt = kt + (<usize>(d * Mp) << 2);
  const p = vt + (<usize>(d * Mp) << 2);
  const qs = p + (<usize>(4 * Mp) << 2);
  const stride = <usize>(3 * W) << 2;
  const kBlock = <usize>d << 5;
  const vBlock = <usize>M << 5;
  for (let h = 0; h < heads; h++) {
    // K of this head as [token block][k][8 tokens], tokens past M zero: four tokens x four k at a time, transposed
    // in registers, then the last tokens one by one
    const kHead = qkv + (<usize>(W + h * d) << 2);
    let j = 0;
    for (; j + 4 <= M; j += 4) {
      const s0 = kHead + <usize>j * stride;
      const s1 = s0 + stride;
      const s2 = s1 + stride;
      const s3 = s2 + stride;
      let dst = kt + <usize>(j >> 3) * kBlock + (<usize>(j & 7) << 2);
      for (let k = 0; k < d; k += 4) {
        const at = <usize>k << 2;
        // four tokens' k..k+3 become k rows of 8-token blocks (32 bytes apart)
        storeTransposed(dst, 32, v128.load(s0 + at), v128.load(s1 + at), v128.load(s2 + at), v128.load(s3 + at));
        dst += 128;
      }
    }
    for (; j < Mp; j++) {
      const dst = kt + <usize>(j >> 3) * kBlock + (<usize>(j & 7) << 2);
      if (j < M) {
        const src = qkv + <usize>j * stride + (<usize>(W + h * d) << 2);
        for (let k = 0; k < d; k++) store<f32>(dst + (<usize>k << 5), load<f32>(src + (<usize>k << 2)));
      } else {
        for (let k = 0; k < d; k++) store<f32>(dst + (<usize>k << 5), 0);
      }
    }
    // V of this head as [column block][token][8 columns]
    for (let j = 0; j < M; j++) {
      const src = qkv + <usize>j * stride + (<usize>(2 * W + h * d) << 2);
      const dst = vt + (<usize>j << 5);
      for (let c = 0; c < d; c += 8) {
        const s = src + (<usize>c << 2);
        const t = dst + <usize>(c >> 3) * vBlock;
        v128.store(t, v128.load(s));
        v128.store(t, v128.load(s, 16), 16);
      }
    }
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const q = qkv + <usize>i * stride + (<usize>(h * d) << 2);
      // the four rows' q values, each splat to 4 lanes: qs[k][r] (one pointer and constant offsets in the loop)
      splatFourRows(q, stride, d, qs);
      // scores p[j][r] = q_r · k_j, 4 rows x 8 columns at a time (eight independent sums in k order)
      for (let j = 0; j < Mp; j += 8) {
        let a00 = f32x4.splat(0);
        let a01 = f32x4.splat(0);
        let a10 = f32x4.splat(0);
        let a11 = f32x4.splat(0);
        let a20 = f32x4.splat(0);
        let a21 = f32x4.splat(0);
        let a30 = f32x4.splat(0);
        let a31 = f32x4.splat(0);
        let kp = kt + <usize>(j >> 3) * kBlock;
        const kEnd = kp + kBlock;
        let qp = qs;
        for (; kp < kEnd; kp += 32) {
          const k0 = v128.load(kp);
          const k1 = v128.load(kp, 16);
          const q0 = v128.load(qp);
          a00 = madd4(q0, k0, a00);
          a01 = madd4(q0, k1, a01);
          const q1 = v128.load(qp, 16);
          a10 = madd4(q1, k0, a10);
          a11 = madd4(q1, k1, a11);
          const q2 = v128.load(qp, 32);
          a20 = madd4(q2, k0, a20);
          a21 = madd4(q2, k1, a21);
          const q3 = v128.load(qp, 48);
          a30 = madd4(q3, k0, a30);
          a31 = madd4(q3, k1, a31);
          qp += 64;
        }
        // stored as [token][4 rows]
        const pj = p + (<usize>j << 4);
        storeTransposed(pj, 16, a00, a10, a20, a30);
        storeTransposed(pj + 64, 16, a01, a11, a21, a31);
      }
      const inv = softmaxColumns(p, M);
      const inv0 = f32x4.extract_lane(inv, 0);
      const inv1 = f32x4.extract_lane(inv, 1);
      const inv2 = f32x4.extract_lane(inv, 2);
      const inv3 = f32x4.extract_lane(inv, 3);
      // out rows = Σ_j p[j][r] v_j, 8 columns of the head at a time
      const o = out + (<usize>(i * W + h * d) << 2);
      const oRow = <usize>W << 2;
      for (let col = 0; col < d; col += 8) {
        let o00 = f32x4.splat(0);
        let o01 = f32x4.splat(0);
        let o10 = f32x4.splat(0);
        let o11 = f32x4.splat(0);
        let o20 = f32x4.splat(0);
        let o21 = f32x4.splat(0);
        let o30 = f32x4.splat(0);
        let o31 = f32x4.splat(0);
        let v = vt + <usize>(col >> 3) * vBlock;
        const vEnd = v + vBlock;
        let pp = p;
        for (; v < vEnd; v += 32) {
          const v0 = v128.load(v);
          const v1 = v128.load(v, 16);
          const p0 = v128.load32_splat(pp);
          o00 = madd4(p0, v0, o00);
          o01 = madd4(p0, v1, o01);
          const p1 = v128.load32_splat(pp, 4);
          o10 = madd4(p1, v0, o10);
          o11 = madd4(p1, v1, o11);
          const p2 = v128.load32_splat(pp, 8);
          o20 = madd4(p2, v0, o20);
          o21 = madd4(p2, v1, o21);
          const p3 = v128.load32_splat(pp, 12);
          o30 = madd4(p3, v0, o30);
          o31 = madd4(p3, v1, o31);
          pp += 16;
        }
        const oc = o + (<usize>col << 2);
        v128.store(oc, f32x4.mul(o00, f32x4.splat(inv0)));
        v128.store(oc, f32x4.mul(o01, f32x4.splat(inv0)), 16);
        v128.store(oc + oRow, f32x4.mul(o10, f32x4.splat(inv1)));
        v128.store(oc + oRow, f32x4.mul(o11, f32x4.splat(inv1)), 16);
        v128.store(oc + 2 * oRow, f32x4.mul(o20, f32x4.splat(inv2)));
        v128.store(oc + 2 * oRow, f32x4.mul(o21, f32x4.splat(inv2)), 16);
        v128.store(oc + 3 * oRow, f32x4.mul(o30, f32x4.splat(inv3)));
        v128.store(oc + 3 * oRow, f32x4.mul(o31, f32x4.splat(inv3)), 16);
      }
    }
    for (; i < M; i++) {
      const q = qkv + <usize>i * stride + (<usize>(h * d) << 2);
      for (let j = 0; j < Mp; j += 8) {
        let a0 = f32x4.splat(0);
        let a1 = f32x4.splat(0);
        let kp = kt + <usize>(j >> 3) * kBlock;
        for (let k = 0; k < d; k++) {
          const qk = v128.load32_splat(q + (<usize>k << 2));
          a0 = madd4(qk, v128.load(kp), a0);
          a1 = madd4(qk, v128.load(kp, 16), a1);
          kp += 32;
        }
        v128.store(p + (<usize>j << 2), a0);
        v128.store(p + (<usize>j << 2), a1, 16);
      }
      const inv = softmaxRow(p, M);
      const o = out + (<usize>(i * W + h * d) << 2);
      for (let col = 0; col < d; col += 8) {
        let o0 = f32x4.splat(0);
        let o1 = f32x4.splat(0);
        let v = vt + <usize>(col >> 3) * vBlock;
        for (let jj = 0; jj < M; jj++) {
          const pj = v128.load32_splat(p + (<usize>jj << 2));
          o0 = madd4(pj, v128.load(v), o0);
          o1 = madd4(pj, v128.load(v, 16), o1);
          v += 32;
        }
        v128.store(o + (<usize>col << 2), f32x4.mul(o0, f32x4.splat(inv)));
        v128.store(o + (<usize>col << 2), f32x4.mul(o1, f32x4.splat(inv)), 16);
      }
    }
  }
}

/** dst[c][r] = row r's value c, splat to 4 lanes, for the four rows at src + r * rowBytes and c < n (64 bytes per c). */
// @ts-ignore: decorator
@inline function splatFourRows(src: usize, rowBytes: usize, n: i32, dst: usize): void {
  for (let c = 0; c < n; c++) {
    const s = src + (<usize>c << 2);
    const t = dst + (<usize>c << 6);
    v128.store(t, v128.load32_splat(s));
    v128.store(t, v128.load32_splat(s + rowBytes), 16);
    v128.store(t, v128.load32_splat(s + 2 * rowBytes), 32);
    v128.store(t, v128.load32_splat(s + 3 * rowBytes), 48);
  }
}

/** The transpose of the 4 x 4 block whose rows are r0..r3, as 4 vectors `stride` bytes apart (column c at dst + stride x c). */
// @ts-ignore: decorator
@inline function storeTransposed(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

/**
 * softmaxRow on four score rows stored as columns (p + 16c: the four rows' scores of token c), in place; lane r of
 * the result is row r's 1 / sum. The same values as softmaxRow's: the maximum of the same scores (pmax: x64 maxps,
 * f32x4.max's NaN and signed-zero rules cost eight instructions; a zero maximum of either sign subtracts to the same
 * values, or to a zero whose exp is 1 either way), exp per lane, and each row's sum in softmaxRow's order: four
 * partial sums over the columns c = 0, 1, 2, 3 mod 4 below M rounded down to 4, ((s0 + s1) + (s2 + s3)), then the
 * last columns one by one.
 */
function softmaxColumns(p: usize, M: i32): v128 {
  const end = p + (<usize>M << 4);
  let ma = v128.load(p);
  let mb = ma;
  let at = p + 16;
  for (; at + 16 < end; at += 32) {
    ma = f32x4.pmax(ma, v128.load(at));
    mb = f32x4.pmax(mb, v128.load(at, 16));
  }
  if (at < end) ma = f32x4.pmax(ma, v128.load(at));
  expColumnsInPlace(p, (M + 1) & ~1, f32x4.pmax(ma, mb));
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const full = p + (<usize>(M & ~3) << 4);
  for (at = p; at < full; at += 64) {
    s0 = f32x4.add(s0, v128.load(at));
    s1 = f32x4.add(s1, v128.load(at, 16));
    s2 = f32x4.add(s2, v128.load(at, 32));
    s3 = f32x4.add(s3, v128.load(at, 48));
  }
  let sum = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  for (; at < end; at += 16) sum = f32x4.add(sum, v128.load(at));
  return f32x4.div(f32x4.splat(1), sum);
}

/**
 * p[c] = exp(p[c] - mx) for the n vectors at p (n even), two a step and no value carried from one step to the next,
 * so the out-of-order core overlaps the exps' latency chains. exp4's operations in its order, with its constants
 * splat-loaded once before the loop from its table (V8 rematerializes a literal constant vector at each use in the
 * loop, 3 instructions, and cannot rematerialize a load), and without its upper clamp, a no-op here: a score minus
 * its row's maximum is <= 0 (or NaN either way). Fused multiply-adds in the relaxed module, as exp4.
 */
function expColumnsInPlace(p: usize, n: i32, mx: v128): void {
  const lo = v128.load32_splat(K_TABLE, 4);
  const magic = v128.load32_splat(K_TABLE, 8);
  const log2e = v128.load32_splat(K_TABLE, 12);
  const c1 = v128.load32_splat(K_TABLE, 16);
  const c2 = v128.load32_splat(K_TABLE, 20);
  const p0 = v128.load32_splat(K_TABLE, 24);
  const p1 = v128.load32_splat(K_TABLE, 28);
  const p2 = v128.load32_splat(K_TABLE, 32);
  const p3 = v128.load32_splat(K_TABLE, 36);
  const p4 = v128.load32_splat(K_TABLE, 40);
  const p5 = v128.load32_splat(K_TABLE, 44);
  const one = v128.load32_splat(K_TABLE, 48);
  const bias = v128.load32_splat(K_INTS);
  const end = p + (<usize>n << 4);
  for (let at = p; at < end; at += 32) {
    const va = f32x4.pmax(f32x4.sub(v128.load(at), mx), lo);
    const vb = f32x4.pmax(f32x4.sub(v128.load(at, 16), mx), lo);
    const ta = madd4(va, log2e, magic);
    const tb = madd4(vb, log2e, magic);
    const ka = f32x4.sub(ta, magic);
    const kb = f32x4.sub(tb, magic);
    const ra = nmadd4(ka, c2, nmadd4(ka, c1, va));
    const rb = nmadd4(kb, c2, nmadd4(kb, c1, vb));
    let qa = madd4(p0, ra, p1);
    let qb = madd4(p0, rb, p1);
    qa = madd4(qa, ra, p2);
    qb = madd4(qb, rb, p2);
    qa = madd4(qa, ra, p3);
    qb = madd4(qb, rb, p3);
    qa = madd4(qa, ra, p4);
    qb = madd4(qb, rb, p4);
    qa = madd4(qa, ra, p5);
    qb = madd4(qb, rb, p5);
    const ea = f32x4.add(madd4(f32x4.mul(qa, ra), ra, ra), one);
    const eb = f32x4.add(madd4(f32x4.mul(qb, rb), rb, rb), one);
    v128.store(at, f32x4.mul(ea, i32x4.shl(i32x4.add(i32x4.sub(ta, magic), bias), 23)));
    v128.store(at, f32x4.mul(eb, i32x4.shl(i32x4.add(i32x4.sub(tb, magic), bias), 23)), 16);
  }
}

/** exp(p[c] - max) over the M real columns of one score row, in place; returns 1 / their sum. */
function softmaxRow(p: usize, M: i32): f32 {
  let mx4 = v128.load32_splat(p);
  let c = 0;
  for (; c + 4 <= M; c += 4) mx4 = f32x4.max(mx4, v128.load(p + (<usize>c << 2)));
  let mx: f32 = max(max(f32x4.extract_lane(mx4, 0), f32x4.extract_lane(mx4, 1)), max(f32x4.extract_lane(mx4, 2), f32x4.extract_lane(mx4, 3)));
  for (; c < M; c++) mx = max(mx, load<f32>(p + (<usize>c << 2)));
  mx4 = f32x4.splat(mx);
  let sum4 = f32x4.splat(0);
  c = 0;
  for (; c + 4 <= M; c += 4) {
    const e = exp4(f32x4.sub(v128.load(p + (<usize>c << 2)), mx4));
    v128.store(p + (<usize>c << 2), e);
    sum4 = f32x4.add(sum4, e);
  }
  let sum: f32 = f32x4.extract_lane(sum4, 0) + f32x4.extract_lane(sum4, 1) + (f32x4.extract_lane(sum4, 2) + f32x4.extract_lane(sum4, 3));
  for (; c < M; c++) {
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(p + (<usize>c << 2)) - mx)), 0);
    store<f32>(p + (<usize>c << 2), e);
    sum += e;
  }
  return <f32>1 / sum;
}

/**
 * fp32 linear layer: out [M][N] = x [M][K] · W (+ bias [N] after the sum, as MatMul then Add; bias 0: none), N a
 * multiple of 4. W packed by column blocks (Int8Gemm.packF32): for each block of 8 columns its [K][8] floats, then a
 * last block of 4 columns as [K][4] when N % 8 == 4, so a block's weights are contiguous and stay in cache while
 * every row passes. Tiles of 4 rows by 8 columns, one sum per output in k order. `scratch`: (M rounded down to 4) x K
 * floats for the rows' inputs by groups of four, [k][4 rows] (the tile loop then has no address arithmetic).
 */
export function linearF32(x: usize, M: i32, K: i32, w: usize, N: i32, bias: usize, out: usize, scratch: usize): void {
  const rowBytes = <usize>K << 2;
  const outRow = <usize>N << 2;
  const blockBytes = <usize>K << 5;
  // each group of four rows as [k][4 rows] in scratch: the tile loop splat-loads its four inputs from one pointer
  const groupBytes = <usize>K << 4;
  for (let g = 0; g + 4 <= M; g += 4) {
    const src = x + <usize>g * rowBytes;
    const dst = scratch + <usize>(g >> 2) * groupBytes;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const at = src + (<usize>k << 2);
      storeTransposed(dst + (<usize>k << 4), 16, v128.load(at), v128.load(at + rowBytes), v128.load(at + 2 * rowBytes), v128.load(at + 3 * rowBytes));
    }
    for (; k < K; k++) {
      for (let r = 0; r < 4; r++) store<f32>(dst + (<usize>k << 4) + (<usize>r << 2), load<f32>(src + <usize>r * rowBytes + (<usize>k << 2)));
    }
  }
  let n = 0;
  for (; n + 8 <= N; n += 8) {
    const wb = w + <usize>(n >> 3) * blockBytes;
    const b0 = bias ? v128.load(bias + (<usize>n << 2)) : f32x4.splat(0);
    const b1 = bias ? v128.load(bias + (<usize>n << 2), 16) : f32x4.splat(0);
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      let a00 = f32x4.splat(0);
      let a01 = f32x4.splat(0);
      let a10 = f32x4.splat(0);
      let a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0);
      let a21 = f32x4.splat(0);
      let a30 = f32x4.splat(0);
      let a31 = f32x4.splat(0);
      // pointers, no counter: fewer live integers in the loop (V8 otherwise reloads them from the stack each step)
      let xp = scratch + <usize>(m >> 2) * groupBytes;
      const wEnd = wb + blockBytes;
      for (let wp = wb; wp < wEnd; wp += 32) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const v0 = v128.load32_splat(xp);
        const v1 = v128.load32_splat(xp, 4);
        const v2 = v128.load32_splat(xp, 8);
        const v3 = v128.load32_splat(xp, 12);
        a00 = madd4(v0, w0, a00);
        a01 = madd4(v0, w1, a01);
        a10 = madd4(v1, w0, a10);
        a11 = madd4(v1, w1, a11);
        a20 = madd4(v2, w0, a20);
        a21 = madd4(v2, w1, a21);
        a30 = madd4(v3, w0, a30);
        a31 = madd4(v3, w1, a31);
        xp += 16;
      }
      const op = out + <usize>m * outRow + (<usize>n << 2);
      v128.store(op, f32x4.add(a00, b0));
      v128.store(op, f32x4.add(a01, b1), 16);
      v128.store(op + outRow, f32x4.add(a10, b0));
      v128.store(op + outRow, f32x4.add(a11, b1), 16);
      v128.store(op + 2 * outRow, f32x4.add(a20, b0));
      v128.store(op + 2 * outRow, f32x4.add(a21, b1), 16);
      v128.store(op + 3 * outRow, f32x4.add(a30, b0));
      v128.store(op + 3 * outRow, f32x4.add(a31, b1), 16);
    }
    for (; m < M; m++) {
      const o = out + <usize>m * outRow + (<usize>n << 2);
      linearF32Row4(x + <usize>m * rowBytes, K, wb, 32, bias ? bias + (<usize>n << 2) : 0, o);
      linearF32Row4(x + <usize>m * rowBytes, K, wb + 16, 32, bias ? bias + (<usize>(n + 4) << 2) : 0, o + 16);
    }
  }
  if (n < N) {
    // the last 4 columns: [K][4]
    const wb = w + <usize>(n >> 3) * blockBytes;
    for (let m = 0; m < M; m++) linearF32Row4(x + <usize>m * rowBytes, K, wb, 16, bias ? bias + (<usize>n << 2) : 0, out + <usize>m * outRow + (<usize>n << 2));
  }
}

/** One row, 4 columns: weights at wCol, `stride` bytes per input; bias (0: none) and out point at those columns. */
function linearF32Row4(xRow: usize, K: i32, wCol: usize, stride: usize, bias: usize, out: usize): void {
  let a = f32x4.splat(0);
  let wp = wCol;
  for (let k = 0; k < K; k++) {
    a = madd4(v128.load32_splat(xRow + (<usize>k << 2)), v128.load(wp), a);
    wp += stride;
  }
  v128.store(out, f32x4.add(a, bias ? v128.load(bias) : f32x4.splat(0)));
}
