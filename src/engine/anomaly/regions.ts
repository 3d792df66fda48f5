// Anomalous regions: 8-connected components of a thresholded map, with bounding boxes, peak score and area.
import { ScratchBytes } from "../image/scratch-bytes";
import { labelInto } from "./label-regions";

/** The thresholded mask, the labelling's seen flags and its pixel list (used within one call): at most 4 MB each. */
const aboveScratch = new ScratchBytes(4 * 2 ** 20);
const seenScratch = new ScratchBytes(4 * 2 ** 20);
const pixelScratch = new ScratchBytes(4 * 2 ** 20);

export interface Region {
  /** Bounding box, inclusive of its pixels: columns x .. x + width - 1, rows y .. y + height - 1. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Maximum map value inside the region. */
  score: number;
  /** Number of pixels in the region. */
  area: number;
}

/**
 * Connected components (8-connectivity) of map >= threshold over a [height, width] row-major map.
 * Sorted by score descending (then area descending, then top-left position) so the order is deterministic.
 */
export function findRegions(map: Float32Array, width: number, height: number, threshold: number): Region[] {
  if (map.length !== width * height) throw new RangeError(`map has ${map.length} values, expected ${width}x${height}`);
  const above = aboveScratch.take(map.length);
  for (let i = 0; i < map.length; i++) above[i] = map[i]! >= threshold ? 1 : 0;
  const seen = seenScratch.take(map.length).fill(0);
  const pixels = pixelScratch.int32(map.length);
  const areas: number[] = [];
  labelInto(above, width, height, seen, pixels, areas);
  const regions: Region[] = [];
  let offset = 0;
  for (const area of areas) {
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    let score = -Infinity;
    for (let p = offset; p < offset + area; p++) {
      const i = pixels[p]!;
      const y = (i / width) | 0;
      const x = i - y * width;
      if (map[i]! > score) score = map[i]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    offset += area;
    regions.push({ x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1, score, area });
  }
  regions.sort((a, b) => b.score - a.score || b.area - a.area || a.y - b.y || a.x - b.x);
  return regions;
}

/**
 * Map regions found on a square fromSize x fromSize map (the model resolution) to an image of
 * toWidth x toHeight: the box [x, x + width) scales to [floor(x * sx), ceil((x + width) * sx)), clamped
 * to the image, with sx = toWidth / fromSize; area scales by sx * sy (rounded, at least 1); score is unchanged.
 */
export function rescaleRegions(regions: readonly Region[], fromSize: number, toWidth: number, toHeight: number): Region[] {
  if (!(fromSize > 0) || !(toWidth > 0) || !(toHeight > 0)) throw new RangeError("rescaleRegions sizes must be positive");
  // multiply before dividing so that exact multiples stay exact in floating point
  const scaleX = (v: number): number => (v * toWidth) / fromSize;
  const scaleY = (v: number): number => (v * toHeight) / fromSize;
  return regions.map((r) => {
    const x0 = Math.min(toWidth - 1, Math.max(0, Math.floor(scaleX(r.x))));
    const y0 = Math.min(toHeight - 1, Math.max(0, Math.floor(scaleY(r.y))));
    const x1 = Math.min(toWidth, Math.max(x0 + 1, Math.ceil(scaleX(r.x + r.width))));
    const y1 = Math.min(toHeight, Math.max(y0 + 1, Math.ceil(scaleY(r.y + r.height))));
    const area = Math.max(1, Math.round((r.area * toWidth * toHeight) / (fromSize * fromSize)));
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: r.score, area };
  });
}
