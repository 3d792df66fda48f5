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
import type { BytePool } from "../../shared/byte-pool";
import { inflateZlibNative, nativeInflateSupported } from "./inflate-native";
import { expectedRawSize, idatParts, inflateLimit } from "./png-data-check";

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
    return decodePng(bytes, header, opts.gray16, opts.scratch, undefined, opts.kernel);
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

/** A decoded image whose samples may live in a pooled buffer: `release` gives it back once they are used. */
export interface LeasedImage {
  image: DecodedImage;
  release(): void;
}

/**
 * decodeImage, but a PNG's data is inflated by the runtime's native zlib (DecompressionStream read BYOB,
 * inflate-native.ts) where it can be, into a buffer of `pool` (README "The CPU steps around the encoder" for the time
 * it saves in workerd). The image is then a view of that buffer until `release`. Anything but a clean inflate (corrupt, truncated or oversized data), and every
 * runtime without a BYOB-readable DecompressionStream (Node 20), goes through decodeImage itself: the same pixels and
 * the same errors. The await is only around the inflate: `opts.scratch` is used after it, synchronously.
 */
export async function decodeImageLeased(bytes: Uint8Array, opts: DecodeOptions, pool: BytePool): Promise<LeasedImage> {
  const plain = () => ({ image: decodeImage(bytes, opts), release: () => undefined });
  if (sniffFormat(bytes) !== "png" || !nativeInflateSupported()) return plain();
  const header = readPngHeader(bytes);
  assertPixelLimit(header.width, header.height, opts.maxPixels);
  const parts = idatParts(bytes); // layout and checksums first: nothing large is allocated for a broken file
  const limit = inflateLimit(header);
  const expected = expectedRawSize(header);
  const lease = pool.checkout(limit + 1);
  try {
    const result = await inflateZlibNative(parts, lease, limit);
    if (result.error !== undefined || result.overflow || result.produced < expected) {
      lease.release();
      return plain(); // the JS inflater's verdict: the same error code and message as ever (or its pixels)
    }
    const image = decodePng(bytes, header, opts.gray16, opts.scratch, new Uint8Array(lease.buffer, 0, expected), opts.kernel);
    return { image, release: lease.release };
  } catch (err) {
    lease.release();
    throw err;
  }
}
