// A square anomaly map to a resized 8-bit grayscale PNG, row by row: the resized map is never held in memory.
//
// Same pixels as encodeMapPng(resizeMapBilinear(map, size, width, height), { width, height }, max): bilinear with
// half-pixel centres (float64 sums, each value rounded to float32 as resizeMapBilinear stores it), then
// round(clamp(value / max, 0, 1) * 255). The 8-bit scanlines (Sub-filtered: a smooth row becomes runs of small
// differences) go into a pooled buffer (with the image kernel: into its memory) and are compressed synchronously
// (deflate.ts; with the kernel, its match search, checksum and symbol writer run there) into a second pooled buffer;
// the PNG file is the only new array. fflate's streaming compressor allocated a ~100 kB output buffer per flush (about
// 19 MB per 900x900 map); the platform's CompressionStream left its stream objects and promises in the old
// generation of the JS heap (about 3 kB per map, until a full collection).
import { BytePool } from "../../shared/byte-pool";
import { crc32 } from "../image/crc32";
import { type DeflateMatchKernel, zlibBound, zlibCompress } from "../image/deflate";
import { ScratchBytes } from "../image/scratch-bytes";
import { type AxisPlan, cachedAxisPlan } from "./upsample";

/** Scanline and compressed buffers (the largest map: 1025 x 1024 bytes and its zlibBound): 8 MB of free buffers kept. */
const scanlinePool = new BytePool(8 * 2 ** 20);
const SUB_FILTER = 1;
/** The two horizontally resampled rows (used within one call). */
const rowScratch = new ScratchBytes(2 ** 20);

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The SIMD kernel of the map PNG: mapScanlines writes the PNG's scanlines (filter byte, then the row, for every row)
 * as the loops below do, or declines (undefined; its result may be a view of the kernel's memory, valid until its next
 * call); the compressor's match search (deflate.ts).
 */
export interface MapPngKernel extends DeflateMatchKernel {
  mapScanlines(map: Float32Array, size: number, width: number, height: number, px: AxisPlan, py: AxisPlan, scale: number): Uint8Array | undefined;
}

/** `kernel`: the SIMD kernel of the scanlines and the match search (the same PNG bytes as the JS code, which runs without it). */
export function encodeResizedMapPng(map: Float32Array, size: number, width: number, height: number, max: number, kernel?: MapPngKernel): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`map size must be positive integers, got ${width}x${height}`);
  }
  if (map.length !== size * size) throw new RangeError(`map has ${map.length} values, expected ${size}x${size}`);
  const px = cachedAxisPlan(size, width, false);
  const py = cachedAxisPlan(size, height, false);
  const scale = max > 0 && Number.isFinite(max) ? 255 / max : 0;
  const scanlines = kernel?.mapScanlines(map, size, width, height, px, py, scale);
  if (scanlines) return compressToPng(width, height, scanlines, kernel);
  // Horizontally resampled source rows: only the two the current output row blends are kept.
  const rows = rowScratch.float64(2 * width);
  let rowA = rows.subarray(0, width);
  let rowB = rows.subarray(width);
  let loadedA = -1;
  let loadedB = -1;
  const stride = 1 + width; // filter byte, then the row
  const lease = scanlinePool.checkout(stride * height);
  try {
    const raw = new Uint8Array(lease.buffer, 0, stride * height);
    for (let y = 0; y < height; y++) {
      const lo = py.lo[y]!;
      const hi = py.hi[y]!;
      if (loadedA !== lo) {
        if (loadedB === lo) {
          // The row below becomes the row above: swap the buffers rather than copy.
          const t = rowA;
          rowA = rowB;
          rowB = t;
          loadedB = -1;
        } else resampleRow(map, lo * size, px.lo, px.hi, px.weight, rowA);
        loadedA = lo;
      }
      if (loadedB !== hi) {
        resampleRow(map, hi * size, px.lo, px.hi, px.weight, rowB);
        loadedB = hi;
      }
      raw[y * stride] = SUB_FILTER;
      quantizeSubRow(rowA, rowB, py.weight[y]!, scale, raw, y * stride + 1);
    }
    return compressToPng(width, height, raw, kernel);
  } finally {
    lease.release();
  }
}

function compressToPng(width: number, height: number, raw: Uint8Array, kernel: DeflateMatchKernel | undefined): Uint8Array {
  const out = scanlinePool.checkout(zlibBound(raw.length));
  try {
    const zlib = new Uint8Array(out.buffer);
    return pngFile(width, height, zlib, zlibCompress(raw, zlib, kernel));
  } finally {
    out.release();
  }
}

/** One source row of the map resampled horizontally: dst[x] = (1 - w[x]) * map[from + lo[x]] + w[x] * map[from + hi[x]]. */
function resampleRow(map: Float32Array, from: number, lo: Int32Array, hi: Int32Array, weight: Float64Array, dst: Float64Array): void {
  for (let x = 0; x < dst.length; x++) {
    const w = weight[x]!;
    dst[x] = (1 - w) * map[from + lo[x]!]! + w * map[from + hi[x]!]!;
  }
}

/**
 * The output row blended from two resampled rows (rounded to float32, as resizeMapBilinear stores it), quantised to
 * round(clamp(v * scale, 0, 255)) (NaN: 0) and Sub-filtered (each byte minus its left neighbour, mod 256) in one pass.
 */
function quantizeSubRow(rowA: Float64Array, rowB: Float64Array, w: number, scale: number, raw: Uint8Array, at: number): void {
  const width = rowA.length;
  if (scale === 0) {
    raw.fill(0, at, at + width);
    return;
  }
  const w0 = 1 - w;
  let left = 0;
  for (let x = 0; x < width; x++) {
    const v = Math.fround(w0 * rowA[x]! + w * rowB[x]!) * scale;
    // Math.round(v) clamped to 0..255 (NaN: 0), about 3x faster as floor(v + 0.5) on int32: v + 0.5 is exact for
    // v >= 0.5 (below that floor(v + 0.5) could round 0.49999999999999994 up to 1, so those are 0 directly).
    const q = v >= 0.5 ? (v < 254.5 ? Math.floor(v + 0.5) | 0 : 255) : 0;
    raw[at + x] = q - left;
    left = q;
  }
}

/** Signature, IHDR (8-bit grayscale), one IDAT of the zlib stream, IEND: written once into the final array. */
function pngFile(width: number, height: number, zlib: Uint8Array, idatBytes: number): Uint8Array {
  const out = new Uint8Array(8 + 25 + 12 + idatBytes + 12);
  const view = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let at = 8;
  const chunk = (type: string, length: number, fill: (dataAt: number) => void) => {
    view.setUint32(at, length);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    fill(at + 8);
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  };
  chunk("IHDR", 13, (d) => {
    view.setUint32(d, width);
    view.setUint32(d + 4, height);
    out.set([8, 0, 0, 0, 0], d + 8); // 8-bit, grayscale, deflate, no filter method extras, no interlace
  });
  chunk("IDAT", idatBytes, (dataAt) => out.set(zlib.subarray(0, idatBytes), dataAt));
  chunk("IEND", 0, () => undefined);
  return out;
}
