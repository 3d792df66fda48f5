// JPEG -> DecodedImage with jpeg-js (baseline, extended and progressive Huffman, 8-bit).
//
// jpeg-js is not libjpeg-turbo: its IDCT (poppler's) and its chroma upsampling (replication, not
// libjpeg's "fancy" triangular filter) can move samples by a step or more, so JPEG pixels match
// PIL only approximately; see scripts/check-oracle-pixels.ts for the measured difference.
import jpeg from "jpeg-js";
import type { DecodedImage } from "./decoded-image";
import { ImageError } from "./image-error";
import type { JpegFrame } from "./jpeg-segments";

export interface JpegDecodeLimits {
  readonly maxPixels: number;
  readonly maxMemoryMB: number;
}

const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2]);

function checkFrame(frame: JpegFrame): void {
  if (!SUPPORTED_SOF.has(frame.marker)) {
    const kind = frame.marker === 0xc3 ? "lossless" : frame.marker >= 0xc9 ? "arithmetic-coded" : "hierarchical";
    throw new ImageError("unsupported_format", `${kind} JPEG is not supported`, { sof: frame.marker });
  }
  if (frame.precision !== 8) {
    throw new ImageError("unsupported_format", `${frame.precision}-bit JPEG is not supported`);
  }
  if (frame.components !== 1 && frame.components !== 3 && frame.components !== 4) {
    throw new ImageError("unsupported_format", `JPEG with ${frame.components} components is not supported`);
  }
}

export function decodeJpeg(bytes: Uint8Array, frame: JpegFrame, limits: JpegDecodeLimits): DecodedImage {
  checkFrame(frame);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB: limits.maxMemoryMB,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/maxMemoryUsageInMB|maxResolutionInMP/.test(message)) {
      throw new ImageError("image_too_large", `JPEG needs too much memory to decode: ${message}`, {}, { cause: err });
    }
    if (/Unsupported color mode/.test(message)) {
      throw new ImageError("unsupported_format", `unsupported JPEG colour model: ${message}`, {}, { cause: err });
    }
    throw new ImageError("corrupt_image", `corrupt JPEG: ${message}`, {}, { cause: err });
  }
  const { width, height, data } = decoded;
  if (frame.components !== 1) return { width, height, channels: 3, mode: "RGB", data };
  // jpeg-js replicates gray into three channels; keep one, as PIL opens it as mode "L".
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[i * 3]!;
  return { width, height, channels: 1, mode: "L", data: gray };
}
