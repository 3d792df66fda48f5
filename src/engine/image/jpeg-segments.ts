// Walks JPEG marker segments up to the first scan: frame header (size, components) and Exif APP1.
import { ImageError } from "./image-error";

export interface JpegFrame {
  /** SOFn marker byte (0xC0 baseline, 0xC1 extended, 0xC2 progressive, ...) */
  readonly marker: number;
  readonly precision: number;
  readonly width: number;
  readonly height: number;
  readonly components: number;
}

export interface JpegHeader {
  readonly frame: JpegFrame;
  /** TIFF structure of the first "Exif\0\0" APP1 segment, if any. */
  readonly exif?: Uint8Array;
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);

const corrupt = (why: string) => new ImageError("corrupt_image", `corrupt JPEG: ${why}`);

/** Reads the header segments of a JPEG (bytes start with FF D8). */
export function scanJpegHeader(bytes: Uint8Array): JpegHeader {
  let frame: JpegFrame | undefined;
  let exif: Uint8Array | undefined;
  let pos = 2;
  for (;;) {
    // Like libjpeg's next_marker: skip garbage up to 0xFF, then any fill bytes.
    while (pos < bytes.length && bytes[pos] !== 0xff) pos++;
    while (pos < bytes.length && bytes[pos] === 0xff) pos++;
    if (pos >= bytes.length) throw corrupt("truncated before the image data");
    const marker = bytes[pos++]!;
    if (marker === 0x00 || isStandalone(marker)) continue;
    if (marker === 0xd8 || marker === 0xd9) throw corrupt("no image data before EOI");
    if (pos + 2 > bytes.length) throw corrupt("truncated segment");
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (length < 2 || pos + length > bytes.length) throw corrupt("truncated segment");
    const body = bytes.subarray(pos + 2, pos + length);
    if (marker === 0xda) {
      if (!frame) throw corrupt("scan before frame header");
      return exif ? { frame, exif } : { frame };
    }
    if (isSof(marker) && !frame) {
      if (body.length < 6) throw corrupt("short frame header");
      frame = {
        marker,
        precision: body[0]!,
        height: (body[1]! << 8) | body[2]!,
        width: (body[3]! << 8) | body[4]!,
        components: body[5]!,
      };
      // Height 0 means "defined later by a DNL marker", which neither libjpeg nor jpeg-js support.
      if (frame.width === 0 || frame.height === 0) throw corrupt(`invalid size ${frame.width}x${frame.height}`);
    } else if (marker === 0xe1 && !exif && isExif(body)) {
      exif = body.subarray(6);
    }
    pos += length;
  }
}

function isExif(body: Uint8Array): boolean {
  return body.length >= 14 && body[0] === 0x45 && body[1] === 0x78 && body[2] === 0x69 && body[3] === 0x66 && body[4] === 0 && body[5] === 0;
}
