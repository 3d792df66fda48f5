// Anomaly maps for clients: bilinear resize to the uploaded image's size and 8-bit grayscale PNG encoding.
import { encode } from "fast-png";
import { resampleBilinear } from "./upsample";

export type MapSize = number | { width: number; height: number };

function dimensions(size: MapSize): { width: number; height: number } {
  const d = typeof size === "number" ? { width: size, height: size } : size;
  if (!Number.isInteger(d.width) || !Number.isInteger(d.height) || d.width < 1 || d.height < 1) {
    throw new RangeError(`map size must be positive integers, got ${d.width}x${d.height}`);
  }
  return d;
}

/**
 * 8-bit grayscale PNG of round(clamp(map / max, 0, 1) * 255). `size` is the side of a square map or
 * {width, height}. A non-positive or non-finite max, and NaN values, give black pixels.
 */
export function encodeMapPng(map: Float32Array, size: MapSize, max: number): Uint8Array {
  const { width, height } = dimensions(size);
  if (map.length !== width * height) throw new RangeError(`map has ${map.length} values, expected ${width}x${height}`);
  const pixels = new Uint8Array(map.length);
  if (max > 0 && Number.isFinite(max)) {
    const scale = 255 / max;
    for (let i = 0; i < map.length; i++) {
      const v = map[i] * scale;
      pixels[i] = v >= 255 ? 255 : v > 0 ? Math.round(v) : 0;
    }
  }
  return encode({ width, height, data: pixels, channels: 1, depth: 8 });
}

/**
 * Resize a square [size, size] map to [outH, outW] (row-major) by bilinear interpolation with half-pixel
 * centres (align_corners=False, no antialiasing: the maps are already smooth), as image resizers do.
 */
export function resizeMapBilinear(map: Float32Array, size: number, outW: number, outH: number): Float32Array {
  return resampleBilinear(map, 1, size, size, outH, outW, false);
}
