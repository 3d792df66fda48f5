// Checks a PNG's chunk layout and inflates its IDAT stream, bounded by the size the header implies.
//
// fast-png inflates everything it is given into memory and does not notice missing rows, so a
// tiny-header "zip bomb" or a cut-off file would either exhaust memory or decode silently. This
// inflates the IDAT data into a buffer of the size the header implies (plus a little slack) and
// stops as soon as the data leaves that size.
import { crc32 } from "./crc32";
import { ImageError } from "./image-error";
import { InflateError, inflateZlibInto } from "./inflate";
import { PNG_SAMPLES } from "./png-header";
import type { PngHeader } from "./png-header";
import { ScratchBytes } from "./scratch-bytes";

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
 * The isolate's buffer for the compressed stream of a PNG split over several IDAT chunks (used synchronously by
 * `inflatePngData` only); beyond 8 MB a call allocates its own.
 */
const joinScratch = new ScratchBytes(8 * 2 ** 20);

/** The IDAT payloads as one stream: the chunk itself when there is one, else a view of `joinScratch`. */
function joinIdats(idats: Uint8Array[]): Uint8Array {
  if (idats.length === 1) return idats[0]!;
  let total = 0;
  for (const idat of idats) total += idat.length;
  const joined = joinScratch.take(total);
  let at = 0;
  for (const idat of idats) {
    joined.set(idat, at);
    at += idat.length;
  }
  return joined;
}

/**
 * Inflates the IDAT stream into exactly the size the header implies (the filtered scanlines), or throws corrupt_image.
 * With `scratch`, the result is a view of its reused buffer (valid until its next use). Decoding stops as soon as the
 * data passes the implied size by more than a little slack, so a bomb costs neither memory nor time.
 */
export function inflatePngData(bytes: Uint8Array, header: PngHeader, scratch?: ScratchBytes): Uint8Array {
  const expected = expectedRawSize(header);
  const idats = idatChunks(bytes); // the layout and checksums first: nothing large is allocated for a broken file
  const size = expected + SLACK;
  const out = scratch ? scratch.take(size) : new Uint8Array(size);
  let produced: number;
  try {
    produced = inflateZlibInto(joinIdats(idats), out);
  } catch (err) {
    if (!(err instanceof InflateError)) throw err;
    if (err.overflow) throw corrupt("image data larger than the header declares");
    // Damage after the last row is ignored, as before (and as PIL, which stops reading once it has every row).
    if (err.produced < expected) throw new ImageError("corrupt_image", "corrupt PNG: bad compressed data", {}, { cause: err });
    produced = err.produced;
  }
  if (produced < expected) throw corrupt(`truncated image data (${produced} of ${expected} bytes)`);
  return out.subarray(0, expected);
}
