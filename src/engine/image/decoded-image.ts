// The decoded form of an uploaded image, and the PIL mode that decides how it is resized.

/**
 * The mode PIL's Image.open would give this file. It matters because the reference resizes
 * before converting to RGB: "P" and "1" are resized NEAREST whatever filter is asked, "LA" and
 * "RGBA" are resized premultiplied (Pillow's Image.resize), the others plainly.
 */
export type PilMode = "1" | "L" | "LA" | "P" | "RGB" | "RGBA";

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** 1 for grayscale files (also gray+alpha and 1-bit), 3 for colour (also palette) */
  readonly channels: 1 | 3;
  /** row-major, channels interleaved, 8 bits per sample, alpha excluded */
  readonly data: Uint8Array;
  /** straight (not premultiplied) alpha, present for modes "LA" and "RGBA" */
  readonly alpha?: Uint8Array;
  readonly mode: PilMode;
}
