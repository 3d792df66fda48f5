// Ground-truth masks for evaluation: the method's mask transform, giving 0/1 at S x S.
//
// Resize((S, S)) with torchvision's default (PIL BILINEAR) on the mask as opened, ToTensor, > 0.5.
// The oracle resizes the raw 8-bit mask (it does NOT binarise before resizing: masks with soft
// edges differ otherwise). Colour masks, which the reference never sees, are reduced to PIL's
// "L" luma after the resize.
import type { DecodedImage } from "./decoded-image";
import { resizeImage } from "./resize-image";

/** PIL convert("L") of one RGB pixel: ITU-R 601-2 luma in 16-bit fixed point (Convert.c rgb2l). */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** Uint8Array [size * size] of 0/1: 1 where the resized mask is > 0.5. */
export function resizeMaskBilinear(mask: DecodedImage, size: number): Uint8Array {
  const resized = resizeImage(mask, size, size, "bilinear");
  const out = new Uint8Array(size * size);
  for (let i = 0; i < out.length; i++) {
    const v = mask.channels === 1 ? resized[i]! : luma(resized[i * 3]!, resized[i * 3 + 1]!, resized[i * 3 + 2]!);
    // ToTensor gives v / 255 in float32; v / 255 > 0.5 exactly when v >= 128.
    out[i] = v >= 128 ? 1 : 0;
  }
  return out;
}
