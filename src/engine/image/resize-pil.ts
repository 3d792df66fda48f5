// Bit-exact port of Pillow's 8-bit ImagingResample (libImaging/Resample.c) for BICUBIC and BILINEAR.
//
// Two separable passes, horizontal first into an 8-bit intermediate, then vertical; a pass is
// skipped when its size is unchanged (ImagingResampleInner's need_horizontal/need_vertical).
// Coefficients come from precompute_coeffs (support widened by the scale when downscaling, i.e.
// antialiased) and are turned into 22-bit fixed point by normalize_coeffs_8bpc.

import { boundedMemo } from "../../shared/bounded-memo";
import type { ScratchBytes } from "./scratch-bytes";

export type PilFilter = "bilinear" | "bicubic";

interface FilterDef {
  readonly fn: (x: number) => number;
  readonly support: number;
}

const FILTERS: Record<PilFilter, FilterDef> = {
  bilinear: {
    support: 1,
    fn: (x) => {
      const ax = Math.abs(x);
      return ax < 1 ? 1 - ax : 0;
    },
  },
  bicubic: {
    support: 2,
    // bicubic_filter with a = -0.5
    fn: (x) => {
      const a = -0.5;
      const ax = Math.abs(x);
      if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0;
    },
  },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

export interface ResampleCoeffs {
  readonly ksize: number;
  /** per output index: first input index, number of taps */
  readonly bounds: Int32Array;
  /** per output index, ksize fixed-point weights */
  readonly weights: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for the box [0, inSize]. */
export function precomputeCoeffs(inSize: number, outSize: number, filter: PilFilter): ResampleCoeffs {
  const { fn, support: baseSupport } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = baseSupport * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts truncate toward zero; the clamp makes that the same as Math.trunc here.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** Coefficients of the sizes in use (every upload of a camera has the same size): read them, never write them. */
const cachedCoeffs = boundedMemo(32, (inSize: number, outSize: number, filter: PilFilter) => `${inSize},${outSize},${filter}`, precomputeCoeffs);

/** clip8(ss): the lookup table covers ss >> 22 in [-640, 639] and saturates to 0..255. `ss` is an int32 sum, as in C. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

function horizontal(
  src: Uint8Array,
  w: number,
  channels: number,
  rowFirst: number,
  rows: number,
  outW: number,
  c: ResampleCoeffs,
  scratch?: ScratchBytes,
): Uint8Array {
  const out = scratch ? scratch.take(outW * rows * channels) : new Uint8Array(outW * rows * channels);
  // One call per row. As one function with the whole loop, called once per image, this pass allocated about 27 kB of
  // JS heap per 900x900 image in workerd (a quarter of what a score allocated; sampling heap profile, 2026-11-30),
  // none as a row function: such a loop likely runs unoptimized each call until on-stack replacement, boxing its sums.
  for (let y = 0; y < rows; y++) horizontalRow(src, (y + rowFirst) * w * channels, channels, out, y * outW * channels, outW, c);
  return out;
}

function horizontalRow(src: Uint8Array, rowIn: number, channels: number, out: Uint8Array, rowOut: number, outW: number, c: ResampleCoeffs): void {
  const { ksize, bounds, weights } = c;
  let o = rowOut;
  for (let xx = 0; xx < outW; xx++) {
    const n = bounds[xx * 2 + 1]!;
    const kOff = xx * ksize;
    let p = rowIn + bounds[xx * 2]! * channels;
    if (channels === 3) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const k = weights[kOff + x]!;
        // Integer sums like Pillow's (255 x the positive weights stays below 2^31).
        s0 = (s0 + Math.imul(src[p]!, k)) | 0;
        s1 = (s1 + Math.imul(src[p + 1]!, k)) | 0;
        s2 = (s2 + Math.imul(src[p + 2]!, k)) | 0;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
      continue;
    }
    for (let ch = 0; ch < channels; ch++) {
      let ss = HALF;
      for (let x = 0, q = p + ch; x < n; x++, q += channels) ss = (ss + Math.imul(src[q]!, weights[kOff + x]!)) | 0;
      out[o++] = clip8(ss);
    }
  }
}

function vertical(src: Uint8Array, w: number, channels: number, outH: number, c: ResampleCoeffs, rowShift: number, scratch?: ScratchBytes): Uint8Array {
  const stride = w * channels;
  const out = scratch ? scratch.take(stride * outH) : new Uint8Array(stride * outH);
  const { ksize, bounds, weights } = c;
  for (let yy = 0; yy < outH; yy++) {
    const first = (bounds[yy * 2]! - rowShift) * stride;
    const n = bounds[yy * 2 + 1]!;
    const kOff = yy * ksize;
    const o = yy * stride;
    // Per output sample, its column's taps summed in a register: the int32 sum is Pillow's, in its order.
    for (let i = 0; i < stride; i++) {
      let ss = HALF;
      for (let y = 0, q = first + i; y < n; y++, q += stride) ss = (ss + Math.imul(src[q]!, weights[kOff + y]!)) | 0;
      out[o + i] = clip8(ss);
    }
  }
  return out;
}

/**
 * Reused buffers for the two passes (see ScratchBytes): the result is then a view of one of them, valid until its
 * next use, so use it before any `await`.
 */
export interface ResampleScratch {
  horizontal: ScratchBytes;
  vertical: ScratchBytes;
}

/**
 * The two passes elsewhere (the SIMD kernel, src/engine/wasm/image-kernel.ts): rows rowFirst..rowFirst+rowCount of
 * `src` resampled horizontally with `horizontal` (when given) then vertically with `vertical` (when given, its first
 * indices counted from row 0 of the image); the same bytes as the JS passes, or undefined when it declines (a channel
 * count or size it does not take). The result may be a view of its memory, valid until its next call.
 */
export interface ResampleKernel {
  resample(
    src: Uint8Array,
    width: number,
    channels: number,
    rowFirst: number,
    rowCount: number,
    outW: number,
    outH: number,
    horizontal: ResampleCoeffs | undefined,
    vertical: ResampleCoeffs | undefined,
  ): Uint8Array | undefined;
}

/** Pillow Image.resize((outW, outH), filter) of an 8-bit image with 1..4 interleaved channels. */
export function resamplePil(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
  filter: PilFilter,
  scratch?: ResampleScratch,
  kernel?: ResampleKernel,
): Uint8Array {
  if (src.length !== width * height * channels) throw new RangeError("resamplePil: data size mismatch");
  const needH = outW !== width;
  const needV = outH !== height;
  if (!needH && !needV) return src.slice();
  const vert = cachedCoeffs(height, outH, filter);
  // Only the rows the vertical pass reads are resampled horizontally (ybox_first..ybox_last).
  const rowFirst = needV ? vert.bounds[0]! : 0;
  const rowLast = needV ? vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]! : height;
  if (kernel) {
    const horiz = needH ? cachedCoeffs(width, outW, filter) : undefined;
    const done = kernel.resample(src, width, channels, rowFirst, rowLast - rowFirst, outW, outH, horiz, needV ? vert : undefined);
    if (done) return done;
  }
  let img = src;
  let w = width;
  let shift = 0;
  if (needH) {
    img = horizontal(src, width, channels, rowFirst, rowLast - rowFirst, outW, cachedCoeffs(width, outW, filter), scratch?.horizontal);
    w = outW;
    shift = rowFirst;
  }
  return needV ? vertical(img, w, channels, outH, vert, shift, scratch?.vertical) : img;
}
