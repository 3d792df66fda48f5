// Image size from the header alone, and the pixel-count limit checked before any decoding.
import { ImageError } from "./image-error";
import { scanJpegHeader } from "./jpeg-segments";
import { readPngHeader } from "./png-header";
import { sniffFormat } from "./sniff";
import type { ImageFormat } from "./sniff";

export interface ImageInfo {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

/** Format and stored size (before any EXIF rotation). Reads headers only: cheap on any input. */
export function readImageInfo(bytes: Uint8Array): ImageInfo {
  const format = sniffFormat(bytes);
  if (format === "png") {
    const { width, height } = readPngHeader(bytes);
    return { format, width, height };
  }
  const { width, height } = scanJpegHeader(bytes).frame;
  return { format, width, height };
}

/** Throws image_too_large when width * height exceeds maxPixels. */
export function assertPixelLimit(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageError("image_too_large", `image is ${width}x${height} = ${width * height} pixels; the limit is ${maxPixels}`, { width, height, maxPixels });
  }
}
