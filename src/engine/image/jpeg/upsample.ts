// Chroma upsampling as libjpeg-turbo's jdsample.c with do_fancy_upsampling (the default).
//
// h2v1 and h2v2 use the "fancy" triangular filter (h2v1_fancy_upsample, h2v2_fancy_upsample),
// h1v2 its vertical counterpart (h1v2_fancy_upsample); other integral factors replicate
// (int_upsample). The row above the first row and below the last real row is the row itself,
// like the context pointers of jdmainct.c.

export interface Plane {
  readonly data: Uint8Array;
  /** allocated row length (whole blocks) */
  readonly stride: number;
  /** downsampled_width / downsampled_height */
  readonly width: number;
  readonly height: number;
}

/** Upsamples by (fx, fy) into a width x height plane (the cropped full-size component). */
export function upsample(p: Plane, fx: number, fy: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const wide = p.width > 2;
  if (fx === 1 && fy === 1) {
    for (let y = 0; y < height; y++) out.set(p.data.subarray(y * p.stride, y * p.stride + width), y * width);
  } else if (fx === 2 && fy === 1 && wide) {
    const row = new Uint8Array(p.width * 2);
    for (let y = 0; y < height; y++) {
      h2v1Row(p.data, y * p.stride, p.width, row);
      out.set(row.subarray(0, width), y * width);
    }
  } else if (fx === 2 && fy === 2 && wide) {
    const row = new Uint8Array(p.width * 2);
    for (let y = 0; y < height; y++) {
      const inRow = y >> 1;
      const near = inRow * p.stride;
      const far = (y & 1 ? Math.min(inRow + 1, p.height - 1) : Math.max(inRow - 1, 0)) * p.stride;
      h2v2Row(p.data, near, far, p.width, row);
      out.set(row.subarray(0, width), y * width);
    }
  } else if (fx === 1 && fy === 2) {
    for (let y = 0; y < height; y++) {
      const inRow = y >> 1;
      const near = inRow * p.stride;
      const far = (y & 1 ? Math.min(inRow + 1, p.height - 1) : Math.max(inRow - 1, 0)) * p.stride;
      const bias = y & 1 ? 2 : 1;
      for (let x = 0; x < width; x++) out[y * width + x] = (p.data[near + x]! * 3 + p.data[far + x]! + bias) >> 2;
    }
  } else {
    for (let y = 0; y < height; y++) {
      const src = Math.floor(y / fy) * p.stride;
      for (let x = 0; x < width; x++) out[y * width + x] = p.data[src + Math.floor(x / fx)]!;
    }
  }
  return out;
}

/** h2v1_fancy_upsample: 3/4 nearer + 1/4 further sample, biased 1 / 2 alternately. */
function h2v1Row(d: Uint8Array, at: number, w: number, out: Uint8Array): void {
  let o = 0;
  out[o++] = d[at]!;
  out[o++] = (d[at]! * 3 + d[at + 1]! + 2) >> 2;
  for (let x = 1; x < w - 1; x++) {
    const v = d[at + x]! * 3;
    out[o++] = (v + d[at + x - 1]! + 1) >> 2;
    out[o++] = (v + d[at + x + 1]! + 2) >> 2;
  }
  out[o++] = (d[at + w - 1]! * 3 + d[at + w - 2]! + 1) >> 2;
  out[o] = d[at + w - 1]!;
}

/** h2v2_fancy_upsample: column sums 3 * near + far, then 3/4-1/4 across, biases 8 / 7. */
function h2v2Row(d: Uint8Array, near: number, far: number, w: number, out: Uint8Array): void {
  const sum = (x: number) => d[near + x]! * 3 + d[far + x]!;
  let o = 0;
  let last = sum(0);
  let cur = last;
  let next = sum(1);
  out[o++] = (cur * 4 + 8) >> 4;
  out[o++] = (cur * 3 + next + 7) >> 4;
  last = cur;
  cur = next;
  for (let x = 2; x < w; x++) {
    next = sum(x);
    out[o++] = (cur * 3 + last + 8) >> 4;
    out[o++] = (cur * 3 + next + 7) >> 4;
    last = cur;
    cur = next;
  }
  out[o++] = (cur * 3 + last + 8) >> 4;
  out[o] = (cur * 4 + 7) >> 4;
}
