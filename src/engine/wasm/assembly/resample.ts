// Pillow's 8-bit two-pass resample (libImaging/Resample.c, ImagingResampleHorizontal_8bpc / _Vertical_8bpc) in
// SIMD128, AssemblyScript, raw pointers into linear memory that the TypeScript side (src/engine/wasm/image-kernel.ts) lays out.
//
// Same int32 sums as Pillow's: start at 1 << 21, add sample * weight (22-bit fixed point), then clip8 (>> 22, clamped to
// 0..255). Wrapping int32 addition is associative, so summing in lanes gives the same result as Pillow's order.
// clip8 is i32x4.shr_s then the saturating narrows i32 -> i16 -> u8.

// @ts-ignore: decorator
@inline const HALF: i32 = 1 << 21;
// @ts-ignore: decorator
@inline const SHIFT: i32 = 22;

/** clip8 of four sums, as the low 4 bytes of the result. */
// @ts-ignore: decorator
@inline function clip8x4(s: v128): v128 {
  const v = i32x4.shr_s(s, SHIFT);
  const w = i16x8.narrow_i32x4_s(v, v);
  return i8x16.narrow_i16x8_u(w, w);
}

/**
 * One band of rows of the horizontal pass: src (u8 [rows][w * channels]) -> out (u8 [rows][outW * channels]).
 * bounds: i32 [outW][2] (first input pixel, taps); weights: i32 [outW][kpad], zero past each output's taps.
 * channels 3 or 4: the channels of one pixel in the lanes, a tap per step (channel 3 reads and writes one byte past the
 * pixel: the caller leaves 4 bytes of room after src and out). channels 1: four taps per step (kpad a multiple of 4,
 * reading up to 3 bytes past the taps).
 */
export function horizontal(src: usize, w: i32, channels: i32, rows: i32, out: usize, outW: i32, bounds: usize, weights: usize, kpad: i32): void {
  const srcStride = <usize>(w * channels);
  const outStride = <usize>(outW * channels);
  const wStride = <usize>kpad << 2;
  // Bytes 0..3 of a little-endian word into the four i32 lanes (indices >= 16 give 0).
  const spread = i8x16(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, 3, -1, -1, -1);
  const half = i32x4.splat(HALF);
  for (let y = 0; y < rows; y++) {
    const rowIn = src + <usize>y * srcStride;
    let o = out + <usize>y * outStride;
    let kp = weights;
    if (channels === 1) {
      for (let xx = 0; xx < outW; xx++) {
        const first = load<i32>(bounds + (<usize>xx << 3));
        const n = load<i32>(bounds + (<usize>xx << 3), 4);
        let p = rowIn + <usize>first;
        let acc = i32x4.splat(0);
        for (let x = 0; x < n; x += 4) {
          const s = i8x16.swizzle(v128.load32_zero(p), spread);
          acc = i32x4.add(acc, i32x4.mul(s, v128.load(kp + (<usize>x << 2))));
          p += 4;
        }
        const sum = HALF + i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
        const v = sum >> SHIFT;
        store<u8>(o, v < 0 ? 0 : v > 255 ? 255 : v);
        o += 1;
        kp += wStride;
      }
      continue;
    }
    const step = <usize>channels;
    for (let xx = 0; xx < outW; xx++) {
      const first = load<i32>(bounds + (<usize>xx << 3));
      const n = load<i32>(bounds + (<usize>xx << 3), 4);
      let p = rowIn + <usize>first * step;
      let acc = half;
      let k = kp;
      for (let x = 0; x < n; x++) {
        acc = i32x4.add(acc, i32x4.mul(i8x16.swizzle(v128.load32_zero(p), spread), v128.load32_splat(k)));
        p += step;
        k += 4;
      }
      v128.store32_lane(o, clip8x4(acc), 0);
      o += step;
      kp += wStride;
    }
  }
}

/**
 * The vertical pass: src (u8 [inRows][stride]) -> out (u8 [outH][stride]); bounds: i32 [outH][2] (first input row,
 * counted from the first row src holds, and taps); weights: i32 [outH][kpad]. Sixteen samples of a row per step; the
 * caller leaves 16 bytes of room after src and out for the last step.
 */
export function vertical(src: usize, stride: i32, outH: i32, out: usize, bounds: usize, weights: usize, kpad: i32): void {
  const s = <usize>stride;
  const half = i32x4.splat(HALF);
  for (let yy = 0; yy < outH; yy++) {
    const first = src + <usize>load<i32>(bounds + (<usize>yy << 3)) * s;
    const n = load<i32>(bounds + (<usize>yy << 3), 4);
    const kp = weights + (<usize>(yy * kpad) << 2);
    const o = out + <usize>yy * s;
    for (let i: usize = 0; i < s; i += 16) {
      let a0 = half, a1 = half, a2 = half, a3 = half;
      let q = first + i;
      for (let y = 0; y < n; y++) {
        const k = v128.load32_splat(kp + (<usize>y << 2));
        const b = v128.load(q);
        const lo = i16x8.extend_low_i8x16_u(b);
        const hi = i16x8.extend_high_i8x16_u(b);
        a0 = i32x4.add(a0, i32x4.mul(i32x4.extend_low_i16x8_u(lo), k));
        a1 = i32x4.add(a1, i32x4.mul(i32x4.extend_high_i16x8_u(lo), k));
        a2 = i32x4.add(a2, i32x4.mul(i32x4.extend_low_i16x8_u(hi), k));
        a3 = i32x4.add(a3, i32x4.mul(i32x4.extend_high_i16x8_u(hi), k));
        q += s;
      }
      const w0 = i16x8.narrow_i32x4_s(i32x4.shr_s(a0, SHIFT), i32x4.shr_s(a1, SHIFT));
      const w1 = i16x8.narrow_i32x4_s(i32x4.shr_s(a2, SHIFT), i32x4.shr_s(a3, SHIFT));
      v128.store(o + i, i8x16.narrow_i16x8_u(w0, w1));
    }
  }
}
