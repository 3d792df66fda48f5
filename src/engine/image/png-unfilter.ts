// PNG scanline unfiltering (filter types 0-4, RFC 2083 6.3) for non-interlaced 8- and 16-bit images.
import { ImageError } from "./image-error";
import { PNG_SAMPLES, type PngHeader } from "./png-header";

/**
 * Unfiltering elsewhere (the SIMD kernel, src/engine/wasm/image-kernel.ts): `raw` as unfilterScanlines takes it, 8-bit,
 * unfiltered in place with the same bytes; returns -1, the first row with an unknown filter type, or undefined when it
 * declines (a pixel size or buffer size it does not take).
 */
export interface UnfilterKernel {
  unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): number | undefined;
}

/** Whether `unfilterScanlines` handles this image; palette, sub-byte and interlaced images go to fast-png. */
export function canUnfilter(h: PngHeader): boolean {
  return h.interlace === 0 && h.colorType !== 3 && (h.bitDepth === 8 || h.bitDepth === 16);
}

/**
 * Samples of the image, row-major and interleaved: bytes for 8-bit images, big-endian pairs read into a Uint16Array for
 * 16-bit. Unfilters IN PLACE: `raw` (filter byte + scanline per row) is overwritten and, for 8-bit images, the result
 * is a view of its start. Each row is written at or before where its filtered bytes were read, so nothing needed
 * later is overwritten.
 */
export function unfilterScanlines(raw: Uint8Array, h: PngHeader, kernel?: UnfilterKernel): Uint8Array | Uint16Array {
  const bpp = (PNG_SAMPLES[h.colorType]! * h.bitDepth) / 8;
  const stride = h.width * bpp;
  const out = raw;
  const badRow = h.bitDepth === 8 && kernel ? kernel.unfilter(raw, h.height, stride, bpp) : undefined;
  if (badRow !== undefined && badRow >= 0) {
    throw new ImageError("corrupt_image", `corrupt PNG: unknown filter type ${raw[badRow * (stride + 1)]!} on row ${badRow}`);
  }
  for (let y = badRow === undefined ? 0 : h.height; y < h.height; y++) {
    const src = y * (stride + 1);
    const filter = raw[src]!;
    const at = src + 1; // line[i] = raw[at + i], read before out[row + i] (row + i < at + i) is written
    const row = y * stride;
    // On the first row "up" is zero: Up is None, Average halves the left byte, Paeth predicts the left byte (= Sub).
    const first = y === 0;
    switch (filter) {
      case 0:
        out.copyWithin(row, at, at + stride);
        break;
      case 1:
        unfilterSub(out, row, at, stride, bpp);
        break;
      case 2:
        if (first) out.copyWithin(row, at, at + stride);
        else unfilterUp(out, row, at, stride);
        break;
      case 3:
        unfilterAverage(out, row, at, stride, bpp, first);
        break;
      case 4:
        if (first) unfilterSub(out, row, at, stride, bpp);
        else if (bpp === 3) unfilterPaethRgb(out, row, at, stride);
        else unfilterPaeth(out, row, at, stride, bpp);
        break;
      default:
        throw new ImageError("corrupt_image", `corrupt PNG: unknown filter type ${filter} on row ${y}`);
    }
  }
  const bytes = out.subarray(0, stride * h.height);
  if (h.bitDepth === 8) return bytes;
  const wide = new Uint16Array(bytes.length / 2);
  for (let i = 0; i < wide.length; i++) wide[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  return wide;
}

// One small loop per filter with the edge bytes (left of the first pixel, above the first row) peeled off: the
// per-byte edge tests of a single loop cost about half of a decode.

function unfilterSub(b: Uint8Array, row: number, at: number, stride: number, bpp: number): void {
  for (let i = 0; i < bpp; i++) b[row + i] = b[at + i]!;
  for (let i = bpp; i < stride; i++) b[row + i] = b[at + i]! + b[row + i - bpp]!;
}

function unfilterUp(b: Uint8Array, row: number, at: number, stride: number): void {
  const prev = row - stride;
  for (let i = 0; i < stride; i++) b[row + i] = b[at + i]! + b[prev + i]!;
}

function unfilterAverage(b: Uint8Array, row: number, at: number, stride: number, bpp: number, first: boolean): void {
  if (first) {
    for (let i = 0; i < bpp; i++) b[row + i] = b[at + i]!;
    for (let i = bpp; i < stride; i++) b[row + i] = b[at + i]! + (b[row + i - bpp]! >> 1);
    return;
  }
  const prev = row - stride;
  for (let i = 0; i < bpp; i++) b[row + i] = b[at + i]! + (b[prev + i]! >> 1);
  for (let i = bpp; i < stride; i++) b[row + i] = b[at + i]! + ((b[row + i - bpp]! + b[prev + i]!) >> 1);
}

/** The Paeth predictor of one byte, branch-free (the choice is data-dependent and mispredicts on textured images). */
function paeth(left: number, up: number, diag: number): number {
  // p = left + up - diag; pa = |p - left| = |up - diag|, pb = |left - diag|, pc = |p - diag|.
  const da = up - diag;
  const db = left - diag;
  const dc = da + db;
  const pa = (da ^ (da >> 31)) - (da >> 31);
  const pb = (db ^ (db >> 31)) - (db >> 31);
  const pc = (dc ^ (dc >> 31)) - (dc >> 31);
  const takeLeft = ((pa - pb - 1) & (pa - pc - 1)) >> 31; // -1 when pa <= pb and pa <= pc
  const takeUp = (pb - pc - 1) >> 31; // -1 when pb <= pc
  return (left & takeLeft) | (~takeLeft & ((up & takeUp) | (diag & ~takeUp)));
}

/**
 * Paeth for 3-byte pixels (8-bit RGB, the usual photo), not the first row: the left and upper-left bytes stay in
 * locals instead of being read back from the row just written, which takes a store and reload off each byte's
 * dependency chain.
 */
function unfilterPaethRgb(b: Uint8Array, row: number, at: number, stride: number): void {
  const prev = row - stride;
  let l0 = (b[at]! + b[prev]!) & 0xff;
  let l1 = (b[at + 1]! + b[prev + 1]!) & 0xff;
  let l2 = (b[at + 2]! + b[prev + 2]!) & 0xff;
  let d0 = b[prev]!;
  let d1 = b[prev + 1]!;
  let d2 = b[prev + 2]!;
  b[row] = l0;
  b[row + 1] = l1;
  b[row + 2] = l2;
  for (let i = 3; i < stride; i += 3) {
    const u0 = b[prev + i]!;
    const u1 = b[prev + i + 1]!;
    const u2 = b[prev + i + 2]!;
    l0 = (b[at + i]! + paeth(l0, u0, d0)) & 0xff;
    l1 = (b[at + i + 1]! + paeth(l1, u1, d1)) & 0xff;
    l2 = (b[at + i + 2]! + paeth(l2, u2, d2)) & 0xff;
    b[row + i] = l0;
    b[row + i + 1] = l1;
    b[row + i + 2] = l2;
    d0 = u0;
    d1 = u1;
    d2 = u2;
  }
}

/** Not the first row: with no left byte the predictor is the byte above. */
function unfilterPaeth(b: Uint8Array, row: number, at: number, stride: number, bpp: number): void {
  const prev = row - stride;
  for (let i = 0; i < bpp; i++) b[row + i] = b[at + i]! + b[prev + i]!;
  for (let i = bpp; i < stride; i++) b[row + i] = b[at + i]! + paeth(b[row + i - bpp]!, b[prev + i]!, b[prev + i - bpp]!);
}
