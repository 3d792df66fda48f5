// Applies an EXIF orientation to a decoded image, as PIL's ImageOps.exif_transpose would.
import type { DecodedImage } from "./decoded-image";
import type { Orientation } from "./exif-orientation";

/** For output (x, y) of an image whose source is w x h: the source pixel index. */
type SourceOf = (x: number, y: number, w: number, h: number) => number;

const SOURCE: Record<Exclude<Orientation, 1>, SourceOf> = {
  2: (x, y, w) => y * w + (w - 1 - x), // FLIP_LEFT_RIGHT
  3: (x, y, w, h) => (h - 1 - y) * w + (w - 1 - x), // ROTATE_180
  4: (x, y, w, h) => (h - 1 - y) * w + x, // FLIP_TOP_BOTTOM
  5: (x, y, w) => x * w + y, // TRANSPOSE
  6: (x, y, w, h) => (h - 1 - x) * w + y, // ROTATE_270 (90 degrees clockwise)
  7: (x, y, w, h) => (h - 1 - x) * w + (w - 1 - y), // TRANSVERSE
  8: (x, y, w) => x * w + (w - 1 - y), // ROTATE_90 (90 degrees counter-clockwise)
};

function remap(src: Uint8Array, channels: number, w: number, h: number, outW: number, outH: number, sourceOf: SourceOf): Uint8Array {
  const out = new Uint8Array(src.length);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const s = sourceOf(x, y, w, h) * channels;
      for (let c = 0; c < channels; c++) out[o++] = src[s + c]!;
    }
  }
  return out;
}

export function applyOrientation(image: DecodedImage, orientation: Orientation): DecodedImage {
  if (orientation === 1) return image;
  const { width: w, height: h, channels } = image;
  const swaps = orientation >= 5;
  const outW = swaps ? h : w;
  const outH = swaps ? w : h;
  const sourceOf = SOURCE[orientation];
  const data = remap(image.data, channels, w, h, outW, outH, sourceOf);
  const alpha = image.alpha && remap(image.alpha, 1, w, h, outW, outH, sourceOf);
  return { ...image, width: outW, height: outH, data, ...(alpha ? { alpha } : {}) };
}
