// PNG scanline unfiltering (filter types 0-4, RFC 2083 6.3) for non-interlaced 8- and 16-bit images.
import { ImageError } from "./image-error";
import { PNG_SAMPLES, type PngHeader } from "./png-header";

/** Whether `unfilterScanlines` handles this image; palette, sub-byte and interlaced images go to fast-png. */
export function canUnfilter(h: PngHeader): boolean {
  return h.interlace === 0 && h.colorType !== 3 && (h.bitDepth === 8 || h.bitDepth === 16);
}

/**
 * Samples of the image, row-major and interleaved: bytes for 8-bit images, big-endian pairs read into a Uint16Array for
 * 16-bit. Unfilters IN PLACE: `raw` (filter byte + scanline per row) is overwritten and, for 8-bit images, the result
 * is a view of its start. Each row is written at or before where its filtered bytes were read, so nothing needed
 * later is overwritten.
 */
export function unfilterScanlines(raw: Uint8Array, h: PngHeader): Uint8Array | Uint16Array {
  const bpp = (PNG_SAMPLES[h.colorType]! * h.bitDepth) / 8;
  const stride = h.width * bpp;
  const out = raw;
  for (let y = 0; y < h.height; y++) {
    const src = y * (stride + 1);
    const filter = raw[src]!;
    const at = src + 1; // line[i] = raw[at + i], read before out[row + i] (row + i < at + i) is written
    const row = y * stride;
    const prev = y > 0 ? row - stride : -1;
    switch (filter) {
      case 0:
        out.copyWithin(row, at, at + stride);
        break;
      case 1:
        for (let i = 0; i < stride; i++) out[row + i] = raw[at + i]! + (i >= bpp ? out[row + i - bpp]! : 0);
        break;
      case 2:
        for (let i = 0; i < stride; i++) out[row + i] = raw[at + i]! + (prev >= 0 ? out[prev + i]! : 0);
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? out[row + i - bpp]! : 0;
          const up = prev >= 0 ? out[prev + i]! : 0;
          out[row + i] = raw[at + i]! + ((left + up) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp]! : 0;
          const b = prev >= 0 ? out[prev + i]! : 0;
          const c = i >= bpp && prev >= 0 ? out[prev + i - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + i] = raw[at + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        throw new ImageError("corrupt_image", `corrupt PNG: unknown filter type ${filter} on row ${y}`);
    }
  }
  const bytes = out.subarray(0, stride * h.height);
  if (h.bitDepth === 8) return bytes;
  const wide = new Uint16Array(bytes.length / 2);
  for (let i = 0; i < wide.length; i++) wide[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  return wide;
}
