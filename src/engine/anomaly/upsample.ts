// Bilinear resampling of channel-first grids with torch's index arithmetic (align_corners true or false).
import { boundedMemo } from "../../shared/bounded-memo";
import { ScratchBytes } from "../image/scratch-bytes";

/** Per-axis source taps: output index o reads (1 - weight[o]) * in[lo[o]] + weight[o] * in[hi[o]]. */
export interface AxisPlan {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float64Array;
}

/**
 * torch `upsample_bilinear2d` source coordinates for one axis.
 * align_corners=true:  src = o * (in - 1) / (out - 1)   (0 when out == 1)
 * align_corners=false: src = max(0, (o + 0.5) * in / out - 0.5)
 * lo = floor(src), hi = min(lo + 1, in - 1), weight = src - lo.
 */
export function axisPlan(inSize: number, outSize: number, alignCorners: boolean): AxisPlan {
  if (!Number.isInteger(inSize) || !Number.isInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new RangeError(`bilinear axis sizes must be positive integers, got ${inSize} -> ${outSize}`);
  }
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const weight = new Float64Array(outSize);
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = alignCorners ? o * scale : Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[o] = i0;
    hi[o] = i0 < inSize - 1 ? i0 + 1 : i0;
    weight[o] = i0 < inSize - 1 ? src - i0 : 0;
  }
  return { lo, hi, weight };
}

/** axisPlan, shared between calls (a score resamples the same grid -> map and map -> PNG sizes each time): read it, never write it. */
export const cachedAxisPlan = boundedMemo(
  32,
  (inSize: number, outSize: number, alignCorners: boolean) => `${inSize},${outSize},${alignCorners ? 1 : 0}`,
  axisPlan,
);

/** The horizontally resampled rows of resampleBilinear (used within one call): at most 4 MB kept. */
const rowScratch = new ScratchBytes(4 * 2 ** 20);

/**
 * Resample [channels, inH, inW] to [channels, outH, outW] (row-major). Separable: each source row is
 * first interpolated horizontally into a scratch buffer, then output rows blend two scratch rows.
 * `out`, when given, must have channels * outH * outW elements and is overwritten.
 */
export function resampleBilinear(
  input: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  alignCorners: boolean,
  out?: Float32Array,
): Float32Array {
  if (input.length !== channels * inH * inW) {
    throw new RangeError(`bilinear input has ${input.length} values, expected ${channels}x${inH}x${inW}`);
  }
  const result = out ?? new Float32Array(channels * outH * outW);
  if (result.length !== channels * outH * outW) {
    throw new RangeError(`bilinear output has ${result.length} values, expected ${channels}x${outH}x${outW}`);
  }
  const px = cachedAxisPlan(inW, outW, alignCorners);
  const py = cachedAxisPlan(inH, outH, alignCorners);
  const rows = rowScratch.float64(inH * outW);
  for (let c = 0; c < channels; c++) {
    const inBase = c * inH * inW;
    for (let y = 0; y < inH; y++) {
      const src = inBase + y * inW;
      const dst = y * outW;
      for (let x = 0; x < outW; x++) {
        const w = px.weight[x];
        rows[dst + x] = (1 - w) * input[src + px.lo[x]] + w * input[src + px.hi[x]];
      }
    }
    const outBase = c * outH * outW;
    for (let y = 0; y < outH; y++) {
      const w = py.weight[y];
      const a = py.lo[y] * outW;
      const b = py.hi[y] * outW;
      const dst = outBase + y * outW;
      for (let x = 0; x < outW; x++) result[dst + x] = (1 - w) * rows[a + x] + w * rows[b + x];
    }
  }
  return result;
}

/** The method's upsampling: square [channels, grid, grid] -> [channels, size, size], align_corners=True. */
export function upsampleAlignCorners(grid: Float32Array, channels: number, gridSize: number, size: number, out?: Float32Array): Float32Array {
  return resampleBilinear(grid, channels, gridSize, gridSize, size, size, true, out);
}
