// Heatmap overlay PNG of one test image: the image at S x S, its map in jet blended over it, the mask outlined.
import { encode } from "fast-png";
import type { DecodedImage } from "../engine/image/decoded-image";
import { resizeImage } from "../engine/image/resize-image";

/** Jet colour of t in [0, 1] (blue -> cyan -> yellow -> red), 8-bit RGB: the usual piecewise-linear jet. */
export function jet(t: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
}

const JET: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(jet(i / 255), i * 3);
  return lut;
})();

/**
 * RGB PNG [size, size]: alpha * image + (1 - alpha) * jet(map), with the map min-max normalised per image as
 * test.py's apply_ad_scoremap does (so the colours show where, not how much: compare scores for that).
 * Pixels on the border of the ground-truth mask are drawn white.
 */
export function overlayPng(image: DecodedImage, map: Float32Array, size: number, mask: Uint8Array | null, alpha = 0.5): Uint8Array {
  const plane = size * size;
  if (map.length !== plane) throw new RangeError(`map has ${map.length} values, expected ${size}x${size}`);
  const resized = resizeImage(image, size, size, "bicubic");
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < plane; i++) {
    if (map[i]! < lo) lo = map[i]!;
    if (map[i]! > hi) hi = map[i]!;
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    const level = Math.min(255, Math.max(0, Math.floor((map[i]! - lo) * scale * 255)));
    for (let c = 0; c < 3; c++) {
      const px = image.channels === 1 ? resized[i]! : resized[i * 3 + c]!;
      out[i * 3 + c] = Math.floor(alpha * px + (1 - alpha) * JET[level * 3 + c]!);
    }
  }
  if (mask) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        if (!mask[i]) continue;
        const edge = x === 0 || y === 0 || x === size - 1 || y === size - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - size] || !mask[i + size];
        if (edge) out.fill(255, i * 3, i * 3 + 3);
      }
    }
  }
  return encode({ width: size, height: size, data: out, channels: 3, depth: 8 });
}
