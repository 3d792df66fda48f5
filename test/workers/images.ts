// Test images made in the worker: synthetic PNGs and JPEGs, and the malformed inputs the API must refuse.
import { encode } from "fast-png";
import jpeg from "jpeg-js";

/** An RGB test card: gradients, a dark square, and `variant` shifting the pattern (different normal shots). */
export function syntheticRgb(width: number, height: number, variant = 0): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const dark = x > width / 3 && x < width / 2 && y > height / 3 && y < height / 2;
      data[o] = dark ? 20 : ((255 * x) / width + 7 * variant) % 256;
      data[o + 1] = dark ? 20 : ((255 * y) / height + 3 * variant) % 256;
      data[o + 2] = (128 + 11 * variant) % 256;
    }
  }
  return data;
}

export function syntheticPng(width: number, height: number, variant = 0): Uint8Array {
  return encode({ width, height, data: syntheticRgb(width, height, variant), channels: 3, depth: 8 });
}

export function syntheticJpeg(width: number, height: number, variant = 0): Uint8Array {
  const rgb = syntheticRgb(width, height, variant);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255], 4 * i);
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, 90).data);
}

/** A PNG cut off in its image data. */
export function truncatedPng(): Uint8Array {
  const png = syntheticPng(64, 48);
  return png.subarray(0, Math.floor(png.length * 0.6));
}

/** A valid-looking PNG header declaring 40000 x 40000 pixels (1.6 GP), with no pixel data to speak of. */
export function hugeDeclaredPng(): Uint8Array {
  const png = syntheticPng(8, 8).slice();
  const view = new DataView(png.buffer);
  // IHDR is the first chunk: signature (8) + length (4) + "IHDR" (4), then width and height (big-endian).
  view.setUint32(16, 40000);
  view.setUint32(20, 40000);
  view.setUint32(29, crc32(png.subarray(12, 29))); // the chunk's CRC covers its type and data
  return png;
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG whose IHDR fails its CRC (one bit of the checksum flipped). */
export function badCrcPng(): Uint8Array {
  const png = syntheticPng(16, 16).slice();
  png[29] ^= 0x01;
  return png;
}

/** A 64x64 JPEG whose frame header (SOF) claims 2000x2000 pixels. */
export function oversizedFrameJpeg(): Uint8Array {
  const jpegBytes = syntheticJpeg(64, 64).slice();
  const sof = jpegBytes.findIndex((b, i) => b === 0xff && jpegBytes[i + 1] === 0xc0);
  jpegBytes.set([2000 >> 8, 2000 & 255, 2000 >> 8, 2000 & 255], sof + 5);
  return jpegBytes;
}

export const GIF = new TextEncoder().encode("GIF89a\u0001\u0000\u0001\u0000\u0000\u0000\u0000;");
