// Connected regions of a binary mask, 8-connected like skimage.measure.label's default (connectivity = ndim) in 2-D.

export interface MaskRegions {
  /** Number of regions. */
  count: number;
  /** Pixel count of each region, in label order (the raster order of each region's first pixel, as skimage). */
  areas: Int32Array;
  /** Row-major pixel indices grouped region after region (region r: the next areas[r] entries). */
  pixels: Int32Array;
}

/**
 * Regions of the non-zero pixels of a [height, width] row-major mask. skimage labels runs of equal values;
 * for 0/1 masks that is the same as non-zero, which is what this treats as foreground.
 */
export function labelRegions(mask: ArrayLike<number>, width: number, height: number): MaskRegions {
  const n = width * height;
  if (mask.length !== n) throw new RangeError(`mask has ${mask.length} values, expected ${width}x${height}`);
  const pixels = new Int32Array(n);
  const areas: number[] = [];
  const filled = labelInto(mask, width, height, new Uint8Array(n), pixels, areas);
  return { count: areas.length, areas: Int32Array.from(areas), pixels: pixels.slice(0, filled) };
}

/**
 * labelRegions into the caller's buffers: `seen` [n] all zero, `pixels` [n] (region after region, as
 * MaskRegions.pixels), `areas` empty (one entry per region is pushed). Returns the number of pixels filled.
 */
export function labelInto(mask: ArrayLike<number>, width: number, height: number, seen: Uint8Array, pixels: Int32Array, areas: number[]): number {
  const n = width * height;
  let filled = 0;
  for (let start = 0; start < n; start++) {
    if (seen[start] || mask[start] === 0) continue;
    const first = filled;
    seen[start] = 1;
    pixels[filled++] = start; // pixels is also the explicit stack: each region is filled in from where it starts
    for (let head = first; head < filled; head++) {
      const i = pixels[head]!;
      const y = (i / width) | 0;
      const x = i - y * width;
      const y0 = y > 0 ? y - 1 : 0;
      const y1 = y < height - 1 ? y + 1 : y;
      const x0 = x > 0 ? x - 1 : 0;
      const x1 = x < width - 1 ? x + 1 : x;
      for (let ny = y0; ny <= y1; ny++) {
        for (let nx = x0; nx <= x1; nx++) {
          const j = ny * width + nx;
          if (!seen[j] && mask[j] !== 0) {
            seen[j] = 1;
            pixels[filled++] = j;
          }
        }
      }
    }
    areas.push(filled - first);
  }
  return filled;
}
