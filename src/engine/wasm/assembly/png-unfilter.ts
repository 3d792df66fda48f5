// PNG scanline unfiltering (filter types 0-4, RFC 2083 6.3) of 8-bit images with 3 or 4 bytes per pixel, in place,
// with the Paeth predictor in SIMD128: one pixel's channels in the 16-bit lanes, a pixel per step (each pixel depends
// on its left neighbour, so the channels are the only parallelism). The same bytes as png-unfilter.ts's JS loops.

/**
 * raw: `height` rows of a filter byte and `stride` bytes; row y's result is written at raw + y * stride (at or before
 * where its filtered bytes are read). `top` 1: the rows start the image; 0: a band further down, whose previous row's
 * result the caller has put just before raw. The caller leaves 4 bytes of room after raw (a pixel's load reads one byte
 * past it). Returns -1, or the first row with an unknown filter type (rows before it are done).
 */
export function unfilter(raw: usize, height: i32, stride: i32, bpp: i32, top: i32): i32 {
  const s = <usize>stride;
  const n = <usize>bpp;
  for (let y = 0; y < height; y++) {
    const at = raw + <usize>y * (s + 1) + 1;
    const row = raw + <usize>y * s;
    const prev = row - s;
    const filter = load<u8>(at - 1);
    const first = top !== 0 && y === 0;
    if (filter === 0 || (filter === 2 && first)) {
      memory.copy(row, at, s);
    } else if (filter === 1 || (filter === 4 && first)) {
      for (let i: usize = 0; i < n; i++) store<u8>(row + i, load<u8>(at + i));
      for (let i = n; i < s; i++) store<u8>(row + i, load<u8>(at + i) + load<u8>(row + i - n));
    } else if (filter === 2) {
      let i: usize = 0;
      for (; i + 16 <= s; i += 16) v128.store(row + i, i8x16.add(v128.load(at + i), v128.load(prev + i)));
      for (; i < s; i++) store<u8>(row + i, load<u8>(at + i) + load<u8>(prev + i));
    } else if (filter === 3) {
      if (first) {
        for (let i: usize = 0; i < n; i++) store<u8>(row + i, load<u8>(at + i));
        for (let i = n; i < s; i++) store<u8>(row + i, load<u8>(at + i) + (load<u8>(row + i - n) >> 1));
      } else {
        for (let i: usize = 0; i < n; i++) store<u8>(row + i, load<u8>(at + i) + (load<u8>(prev + i) >> 1));
        for (let i = n; i < s; i++) store<u8>(row + i, load<u8>(at + i) + ((<u32>load<u8>(row + i - n) + <u32>load<u8>(prev + i)) >> 1));
      }
    } else if (filter === 4) {
      paethRow(at, row, prev, s, n);
    } else {
      return y;
    }
  }
  return -1;
}

/** Paeth, not the first row: left and upper-left start at 0, which makes the first pixel's predictor the byte above. */
function paethRow(at: usize, row: usize, prev: usize, s: usize, n: usize): void {
  const mask = i16x8.splat(0xff);
  let a = i16x8.splat(0);
  let c = i16x8.splat(0);
  for (let i: usize = 0; i < s; i += n) {
    const b = i16x8.extend_low_i8x16_u(v128.load32_zero(prev + i));
    const x = i16x8.extend_low_i8x16_u(v128.load32_zero(at + i));
    const da = i16x8.sub(b, c);
    const db = i16x8.sub(a, c);
    const pa = i16x8.abs(da);
    const pb = i16x8.abs(db);
    const pc = i16x8.abs(i16x8.add(da, db));
    const takeA = v128.and(i16x8.le_s(pa, pb), i16x8.le_s(pa, pc));
    const takeB = i16x8.le_s(pb, pc);
    const predicted = v128.bitselect(a, v128.bitselect(b, c, takeB), takeA);
    const r = v128.and(i16x8.add(x, predicted), mask);
    // 4 bytes: with 3-byte pixels the 4th lands on the next pixel's first byte, written in the next step (after the
    // last pixel: on a byte of this row's input that has been read).
    v128.store32_lane(row + i, i8x16.narrow_i16x8_u(r, r), 0);
    a = r;
    c = b;
  }
}
