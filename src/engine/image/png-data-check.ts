// Checks a PNG's chunk layout and inflates its IDAT stream, bounded by the size the header implies.
//
// fast-png inflates everything it is given into memory and does not notice missing rows, so a
// tiny-header "zip bomb" or a cut-off file would either exhaust memory or decode silently. This
// streams the IDAT data through fflate in small slices into a buffer of the size the header implies,
// and stops as soon as the count leaves that size.
import { Unzlib } from "fflate";
import { crc32 } from "./crc32";
import { ImageError } from "./image-error";
import { PNG_SAMPLES } from "./png-header";
import type { PngHeader } from "./png-header";
import type { ScratchBytes } from "./scratch-bytes";

const SLICE = 16384;
// Some encoders leave a few stray bytes after the last row; PIL ignores them, and so do we.
const SLACK = 1 << 16;

const corrupt = (why: string) => new ImageError("corrupt_image", `corrupt PNG: ${why}`);

/** Bytes of filtered scanlines the header implies (with Adam7's seven reduced images). */
export function expectedRawSize(h: PngHeader): number {
  const bits = h.bitDepth * PNG_SAMPLES[h.colorType]!;
  const rowBytes = (w: number) => Math.ceil((w * bits) / 8);
  if (h.interlace === 0) return h.height * (1 + rowBytes(h.width));
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes as Array<[number, number, number, number]>) {
    const pw = h.width > x0 ? Math.ceil((h.width - x0) / dx) : 0;
    const ph = h.height > y0 ? Math.ceil((h.height - y0) / dy) : 0;
    if (pw > 0 && ph > 0) total += ph * (1 + rowBytes(pw));
  }
  return total;
}

/**
 * The IDAT payloads, in order; throws corrupt_image on a broken chunk layout, or on a CRC mismatch in any chunk
 * before the first IDAT (PIL checks exactly those while opening: "broken PNG file (bad header checksum ...)").
 */
function idatChunks(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Uint8Array[] = [];
  let pos = 8;
  for (;;) {
    if (pos + 12 > bytes.length) throw corrupt("truncated (no IEND chunk)");
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    if (pos + 12 + length > bytes.length) throw corrupt(`truncated ${type} chunk`);
    if (chunks.length === 0 && type !== "IDAT" && crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== view.getUint32(pos + 8 + length)) {
      throw corrupt(`bad ${type} checksum (CRC mismatch)`);
    }
    if (type === "IDAT") chunks.push(bytes.subarray(pos + 8, pos + 8 + length));
    if (type === "IEND") break;
    pos += 12 + length;
  }
  if (chunks.length === 0) throw corrupt("no IDAT chunk");
  return chunks;
}

/**
 * Inflates the IDAT stream into exactly the size the header implies (the filtered scanlines), or throws corrupt_image.
 * With `scratch`, the result is a view of its reused buffer (valid until its next use).
 */
export function inflatePngData(bytes: Uint8Array, header: PngHeader, scratch?: ScratchBytes): Uint8Array {
  const expected = expectedRawSize(header);
  const idats = idatChunks(bytes); // the layout and checksums first: nothing large is allocated for a broken file
  const raw = scratch ? scratch.take(expected) : new Uint8Array(expected);
  let produced = 0;
  const inflater = new Unzlib((chunk) => {
    if (produced < expected) raw.set(chunk.subarray(0, expected - produced), produced);
    produced += chunk.length;
    if (produced > expected + SLACK) throw corrupt("image data larger than the header declares");
  });
  try {
    for (const idat of idats) {
      for (let at = 0; at < idat.length; at += SLICE) inflater.push(idat.subarray(at, at + SLICE));
    }
    inflater.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof ImageError) throw err;
    if (produced < expected) throw new ImageError("corrupt_image", "corrupt PNG: bad compressed data", {}, { cause: err });
  }
  if (produced < expected) throw corrupt(`truncated image data (${produced} of ${expected} bytes)`);
  return raw;
}
