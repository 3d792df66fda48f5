// Resizes a decoded image the way PIL's Image.resize treats its mode (nearest / premultiplied / plain).
import type { DecodedImage } from "./decoded-image";
import { resampleWithAlpha } from "./resize-alpha";
import { resizeNearestPil } from "./resize-nearest";
import { resamplePil } from "./resize-pil";
import type { PilFilter, ResampleKernel, ResampleScratch } from "./resize-pil";

/**
 * Colour samples (alpha dropped) of `image` resized to outW x outH; same channel count. With `scratch`, the common
 * (plain resample) path returns a view of its buffers (or of the kernel's memory): use it before any `await`.
 */
export function resizeImage(
  image: DecodedImage,
  outW: number,
  outH: number,
  filter: PilFilter,
  scratch?: ResampleScratch,
  kernel?: ResampleKernel,
): Uint8Array {
  const { width, height, channels, data, alpha, mode } = image;
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1) {
    throw new RangeError(`invalid output size ${outW}x${outH}`);
  }
  // Image.resize: `if self.mode in ("1", "P"): resample = NEAREST`.
  if (mode === "1" || mode === "P") return resizeNearestPil(data, width, height, channels, outW, outH);
  if (alpha && (outW !== width || outH !== height)) {
    return resampleWithAlpha(data, alpha, width, height, channels, outW, outH, filter);
  }
  return resamplePil(data, width, height, channels, outW, outH, filter, scratch, kernel);
}
