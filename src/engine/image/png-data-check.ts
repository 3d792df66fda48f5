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

const IDAT = 0x49444154;
const IEND = 0x49454e44;

/** A chunk's type as text, for error messages only (a string per chunk would be garbage on every decode). */
const chunkType = (bytes: Uint8Array, pos: number) => String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);

/**
 * The isolate's buffer for the compressed stream of a PNG split over several IDAT chunks (used synchronously by
 * `inflatePngData` only); beyond 8 MB a call allocates its own.
 */
const joinScratch = new ScratchBytes(8 * 2 ** 20);

/**
 * The IDAT payloads as one stream: the chunk itself when there is one, else copied into `joinScratch`. Throws
 * corrupt_image on a broken chunk layout, or on a CRC mismatch in any chunk before the first IDAT (PIL checks exactly
 * those while opening: "broken PNG file (bad header checksum ...)"). Chunks are walked by offset: no view or string per
 * chunk (an encoder's 8 kB IDATs make dozens per upload).
 */
function idatStream(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  let total = 0;
  let first = 0;
  for (let pos = 8; ; ) {
    if (pos + 12 > bytes.length) throw corrupt("truncated (no IEND chunk)");
    const length = view.getUint32(pos);
    const type = view.getUint32(pos + 4);
    if (pos + 12 + length > bytes.length) throw corrupt(`truncated ${chunkType(bytes, pos)} chunk`);
    if (count === 0 && type !== IDAT && crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== view.getUint32(pos + 8 + length)) {
      throw corrupt(`bad ${chunkType(bytes, pos)} checksum (CRC mismatch)`);
    }
    if (type === IDAT) {
      if (count === 0) first = pos;
      count++;
      total += length;
    }
    if (type === IEND) break;
    pos += 12 + length;
  }
  if (count === 0) throw corrupt("no IDAT chunk");
  if (count === 1) return bytes.subarray(first + 8, first + 8 + total);
  const joined = joinScratch.take(total);
  let at = 0;
  for (let pos = first; at < total; ) {
    const length = view.getUint32(pos);
    if (view.getUint32(pos + 4) === IDAT) {
      for (let i = pos + 8, end = pos + 8 + length; i < end; i++) joined[at++] = bytes[i]!;
    }
    pos += 12 + length;
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
  const stream = idatStream(bytes); // the layout and checksums first: nothing large is allocated for a broken file
  const size = expected + SLACK;
  const out = scratch ? scratch.take(size) : new Uint8Array(size);
  let produced: number;
  try {
    produced = inflateZlibInto(stream, out);
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
