// The method's image transform: Resize((S, S), BICUBIC) -> RGB -> ToTensor -> Normalize, as [3, S, S].
import type { DecodedImage } from "./decoded-image";
import { resizeImage } from "./resize-image";
import type { ResampleKernel, ResampleScratch } from "./resize-pil";

export type Rgb = readonly [number, number, number];

/** OpenAI CLIP normalisation (open_clip OPENAI_DATASET_MEAN / _STD). */
export const CLIP_MEAN: Rgb = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: Rgb = [0.26862954, 0.26130258, 0.27577711];

export interface PreprocessBuffers {
  /** Reused buffers for the resize. */
  scratch?: ResampleScratch;
  /** Written instead of a new array: 3 * size * size values. */
  out?: Float32Array;
  /** The resize's passes in the SIMD kernel (same bytes; the JS passes when absent or when it declines). */
  kernel?: ResampleKernel;
}

const lut = new Float32Array(256);

/**
 * Float32 [3, size, size], channel-major. Grayscale is replicated to RGB after the resize, as
 * open_clip's _convert_to_rgb comes after Resize. Arithmetic is float32 step by step like torch:
 * ToTensor divides by 255, Normalize subtracts mean then divides by std (mean/std as float32).
 */
export function preprocess(image: DecodedImage, size: number, mean: Rgb = CLIP_MEAN, std: Rgb = CLIP_STD, buffers: PreprocessBuffers = {}): Float32Array {
  const resized = resizeImage(image, size, size, "bicubic", buffers.scratch, buffers.kernel);
  const plane = size * size;
  if (buffers.out && buffers.out.length !== 3 * plane) throw new RangeError(`preprocess output has ${buffers.out.length} values, expected ${3 * plane}`);
  const out = buffers.out ?? new Float32Array(3 * plane);
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    // Per-channel lookup of the 256 possible results; each step rounded to float32 (the module's table: no await).
    const m = f(mean[c]!);
    const s = f(std[c]!);
    for (let v = 0; v < 256; v++) lut[v] = f(f(f(v / 255) - m) / s);
    const src = image.channels === 1 ? 0 : c;
    const stride = image.channels;
    const dst = out.subarray(c * plane, (c + 1) * plane);
    for (let i = 0; i < plane; i++) dst[i] = lut[resized[i * stride + src]!]!;
  }
  return out;
}
