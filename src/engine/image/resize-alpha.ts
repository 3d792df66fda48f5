// Pillow's resize of "LA"/"RGBA" images: premultiply, resample, un-premultiply (Image.resize).
//
// Image.resize converts LA -> La and RGBA -> RGBa (lA2la / rgbA2rgba: MULDIV255), resamples, and
// converts back (la2lA / rgba2rgbA: 255 * c / a, integer division, clipped). The later
// convert("RGB") then drops alpha, so only the colour samples are returned.
import { resamplePil } from "./resize-pil";
import type { PilFilter } from "./resize-pil";

/** MULDIV255 of libImaging/ImagingUtils.h: round(a * b / 255) with integer arithmetic. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

export function resampleWithAlpha(
  data: Uint8Array,
  alpha: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  outW: number,
  outH: number,
  filter: PilFilter,
): Uint8Array {
  const n = width * height;
  const bands = channels + 1;
  const pre = new Uint8Array(n * bands);
  for (let i = 0; i < n; i++) {
    const a = alpha[i]!;
    for (let c = 0; c < channels; c++) pre[i * bands + c] = mulDiv255(data[i * channels + c]!, a);
    pre[i * bands + channels] = a;
  }
  const res = resamplePil(pre, width, height, bands, outW, outH, filter);
  const m = outW * outH;
  const out = new Uint8Array(m * channels);
  for (let i = 0; i < m; i++) {
    const a = res[i * bands + channels]!;
    for (let c = 0; c < channels; c++) {
      const v = res[i * bands + c]!;
      out[i * channels + c] = a === 255 || a === 0 ? v : Math.min(255, Math.floor((255 * v) / a));
    }
  }
  return out;
}
