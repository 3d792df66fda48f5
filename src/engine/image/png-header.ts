// Reads and validates a PNG's IHDR (the first chunk), without touching the image data.
import { crc32 } from "./crc32";
import { ImageError } from "./image-error";

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
  readonly colorType: number;
  readonly interlace: 0 | 1;
}

const ALLOWED_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Samples per pixel for a colour type. */
export const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const corrupt = (why: string) => new ImageError("corrupt_image", `corrupt PNG: ${why}`);

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** `bytes` starts with the PNG signature. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (bytes.length < 8 + 8 + 13) throw corrupt("truncated header");
  const isIhdr = u32(bytes, 8) === 13 && bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
  if (!isIhdr) throw corrupt("first chunk is not IHDR");
  // As PIL ("broken PNG file (bad header checksum in b'IHDR')"): a header that fails its CRC is not trusted.
  if (bytes.length < 8 + 8 + 13 + 4) throw corrupt("truncated header (no IHDR checksum)");
  if (crc32(bytes.subarray(12, 29)) !== u32(bytes, 29)) throw corrupt("bad IHDR checksum (CRC mismatch)");
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const [bitDepth, colorType, compression, filter, interlace] = bytes.subarray(24, 29);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw corrupt(`invalid size ${width}x${height}`);
  }
  if (!ALLOWED_DEPTHS[colorType!]?.includes(bitDepth!)) {
    throw corrupt(`invalid bit depth ${bitDepth} for colour type ${colorType}`);
  }
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1)) {
    throw corrupt("invalid compression, filter or interlace method");
  }
  return { width, height, bitDepth: bitDepth!, colorType: colorType!, interlace: interlace as 0 | 1 };
}
