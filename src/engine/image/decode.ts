// Entry point of image input: sniff, check the size from the header, decode, apply EXIF orientation.
import type { DecodedImage } from "./decoded-image";
import { decodeJpeg } from "./decode-jpeg";
import { decodePng } from "./decode-png";
import type { Gray16Policy } from "./decode-png";
import { assertPixelLimit } from "./dimensions";
import { readExifOrientation } from "./exif-orientation";
import { scanJpegHeader } from "./jpeg-segments";
import { applyOrientation } from "./orient";
import { readPngHeader } from "./png-header";
import type { ScratchBytes } from "./scratch-bytes";
import type { UnfilterKernel } from "./png-unfilter";
import { sniffFormat } from "./sniff";

export interface DecodeOptions {
  /** Largest width * height accepted; checked from the header before anything is allocated. */
  readonly maxPixels: number;
  /** JPEG decoder working-memory cap (default 256 MB); beyond it -> image_too_large. */
  readonly maxMemoryMB?: number;
  /**
   * Rotate/flip JPEGs by their EXIF Orientation (default true), so maps line up with what a
   * browser shows. PIL's Image.open does NOT do this: the reference method sees the stored pixels.
   */
  readonly applyExifOrientation?: boolean;
  /** 16-bit grayscale PNG to 8-bit: see decode-png.ts (default "high-byte"). */
  readonly gray16?: Gray16Policy;
  /**
   * A reused buffer for the PNG's inflated data: the decoded image may then be a view of it, valid only until the
   * scratch is used again (decode, use and drop it without an `await` in between).
   */
  readonly scratch?: ScratchBytes;
  /** PNG unfiltering in the SIMD kernel (same bytes; the JS loops without it). */
  readonly kernel?: UnfilterKernel;
}

export function decodeImage(bytes: Uint8Array, opts: DecodeOptions): DecodedImage {
  const format = sniffFormat(bytes);
  if (format === "png") {
    const header = readPngHeader(bytes);
    assertPixelLimit(header.width, header.height, opts.maxPixels);
    return decodePng(bytes, header, opts.gray16, opts.scratch, opts.kernel);
  }
  const { frame, exif } = scanJpegHeader(bytes);
  assertPixelLimit(frame.width, frame.height, opts.maxPixels);
  const image = decodeJpeg(bytes, opts.maxMemoryMB ?? 256);
  if (image.width !== frame.width || image.height !== frame.height) {
    throw new Error(`JPEG decoder returned ${image.width}x${image.height} for a ${frame.width}x${frame.height} frame`);
  }
  const orientation = exif && opts.applyExifOrientation !== false ? readExifOrientation(exif) : 1;
  return applyOrientation(image, orientation);
}
