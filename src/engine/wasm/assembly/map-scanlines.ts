// The anomaly map PNG's scanlines (map-png-stream.ts's loops, the same bytes): a square float32 map resized
// bilinearly (float64 sums) to width x height, each value rounded to float32, quantised to
// round(clamp(value * scale, 0, 255)) (NaN: 0) and Sub-filtered, 16 pixels per step (float64x2 lanes; the Sub
// differences of a step's bytes are independent of each other once the previous step's last byte is known).

/**
 * raw: height rows of a filter byte (1, Sub) and width bytes. xLo/xHi (int32) and xW (float64) per output column,
 * yLo/yHi/yW per output row: out[y][x] blends source rows yLo[y] and yHi[y] by yW[y], each row blended from columns
 * xLo[x] and xHi[x] by xW[x] (upsample.ts's AxisPlan). rows: two rows of `width` float64 (the horizontally resampled
 * source rows in use).
 */
export function mapScanlines(
  map: usize,
  size: i32,
  width: i32,
  height: i32,
  xLo: usize,
  xHi: usize,
  xW: usize,
  yLo: usize,
  yHi: usize,
  yW: usize,
  scale: f64,
  rows: usize,
  raw: usize,
): void {
  let rowA = rows;
  let rowB = rows + (<usize>width << 3);
  let loadedA = -1;
  let loadedB = -1;
  const stride = <usize>width + 1;
  const rowBytes = <usize>size << 2;
  for (let y = 0; y < height; y++) {
    const lo = load<i32>(yLo + (<usize>y << 2));
    const hi = load<i32>(yHi + (<usize>y << 2));
    if (loadedA != lo) {
      if (loadedB == lo) {
        // the row below becomes the row above
        const t = rowA;
        rowA = rowB;
        rowB = t;
        loadedB = -1;
      } else resampleRow(map + <usize>lo * rowBytes, xLo, xHi, xW, width, rowA);
      loadedA = lo;
    }
    if (loadedB != hi) {
      resampleRow(map + <usize>hi * rowBytes, xLo, xHi, xW, width, rowB);
      loadedB = hi;
    }
    const at = raw + <usize>y * stride;
    store<u8>(at, 1);
    quantizeSubRow(rowA, rowB, load<f64>(yW + (<usize>y << 3)), scale, width, at + 1);
  }
}

/** dst[x] = (1 - w[x]) * src[lo[x]] + w[x] * src[hi[x]] in float64. */
function resampleRow(src: usize, xLo: usize, xHi: usize, xW: usize, width: i32, dst: usize): void {
  for (let x = 0; x < width; x++) {
    const w = load<f64>(xW + (<usize>x << 3));
    const a = <f64>load<f32>(src + (<usize>load<i32>(xLo + (<usize>x << 2)) << 2));
    const b = <f64>load<f32>(src + (<usize>load<i32>(xHi + (<usize>x << 2)) << 2));
    store<f64>(dst + (<usize>x << 3), (1 - w) * a + w * b);
  }
}

/** round(clamp(f32(w0 * a + w * b) * scale, 0, 255)) of two float64 lanes, in the low two int32 lanes (others 0). */
// @ts-ignore: decorator
@inline function quantize2(a: v128, b: v128, w0: v128, w: v128, scale: v128): v128 {
  const blended = f64x2.add(f64x2.mul(w0, a), f64x2.mul(w, b));
  const v = f64x2.mul(f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(blended)), scale);
  const rounded = v128.bitselect(f64x2.floor(f64x2.add(v, f64x2.splat(0.5))), f64x2.splat(255), f64x2.lt(v, f64x2.splat(254.5)));
  // v >= 0.5 false (below, or NaN): 0
  return i32x4.trunc_sat_f64x2_s_zero(v128.and(rounded, f64x2.ge(v, f64x2.splat(0.5))));
}

// @ts-ignore: decorator
@inline function quantize4(rowA: usize, rowB: usize, x: usize, w0: v128, w: v128, scale: v128): v128 {
  const at = x << 3;
  const lo = quantize2(v128.load(rowA + at), v128.load(rowB + at), w0, w, scale);
  const hi = quantize2(v128.load(rowA + at, 16), v128.load(rowB + at, 16), w0, w, scale);
  return i32x4.shuffle(lo, hi, 0, 1, 4, 5);
}

/** raw[x] = q[x] - q[x - 1] (mod 256, q[-1] = 0) of the row blended from rowA and rowB by w. */
function quantizeSubRow(rowA: usize, rowB: usize, w: f64, scale: f64, width: i32, raw: usize): void {
  const w0v = f64x2.splat(1 - w);
  const wv = f64x2.splat(w);
  const sc = f64x2.splat(scale);
  let prev = i8x16.splat(0);
  let x = 0;
  for (; x + 16 <= width; x += 16) {
    const q0 = quantize4(rowA, rowB, <usize>x, w0v, wv, sc);
    const q1 = quantize4(rowA, rowB, <usize>x + 4, w0v, wv, sc);
    const q2 = quantize4(rowA, rowB, <usize>x + 8, w0v, wv, sc);
    const q3 = quantize4(rowA, rowB, <usize>x + 12, w0v, wv, sc);
    // 0..255 in every lane: the unsigned saturating narrows keep the values
    const q = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(q0, q1), i16x8.narrow_i32x4_u(q2, q3));
    const left = i8x16.shuffle(prev, q, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
    v128.store(raw + <usize>x, i8x16.sub(q, left));
    prev = q;
  }
  let left = <i32>i8x16.extract_lane_u(prev, 15);
  const w0 = 1 - w;
  for (; x < width; x++) {
    const v = <f64>(<f32>(w0 * load<f64>(rowA + (<usize>x << 3)) + w * load<f64>(rowB + (<usize>x << 3)))) * scale;
    const q = v >= 0.5 ? (v < 254.5 ? <i32>Math.floor(v + 0.5) : 255) : 0;
    store<u8>(raw + <usize>x, q - left);
    left = q;
  }
}
