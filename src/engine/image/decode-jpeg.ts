// JPEG -> DecodedImage with our libjpeg-turbo-compatible decoder (jpeg/decoder.ts).
//
// jpeg-js was measured first: its IDCT (poppler's) and chroma replication put 8% of the oracle's
// JPEG pixels one step and a few two steps away from PIL (max 0.030 > 0.02 after normalisation).
import type { DecodedImage } from "./decoded-image";
import { ImageError } from "./image-error";
import { JpegFormatError, decodeJpegPixels } from "./jpeg/decoder";

const CODE = { corrupt: "corrupt_image", unsupported: "unsupported_format", too_large: "image_too_large" } as const;

/** `maxMemoryMB` bounds the decoder's working memory (coefficients, planes, output). */
export function decodeJpeg(bytes: Uint8Array, maxMemoryMB: number): DecodedImage {
  let px: ReturnType<typeof decodeJpegPixels>;
  try {
    px = decodeJpegPixels(bytes, maxMemoryMB * 2 ** 20);
  } catch (err) {
    if (err instanceof JpegFormatError) {
      const prefix = err.kind === "corrupt" ? "corrupt JPEG: " : "";
      throw new ImageError(CODE[err.kind], prefix + err.message, {}, { cause: err });
    }
    throw new ImageError("corrupt_image", `corrupt JPEG: ${(err as Error).message}`, {}, { cause: err });
  }
  const { width, height, channels, data } = px;
  return { width, height, channels, data, mode: channels === 1 ? "L" : "RGB" };
}
