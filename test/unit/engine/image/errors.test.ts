// Every rejection path of image input, with its error code; size limits act before decoding.
import { encode as encodePng } from "fast-png";
import { zlibSync } from "fflate";
import jpegJs from "jpeg-js";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../../src/engine/image/decode";
import { assertPixelLimit, readImageInfo } from "../../../../src/engine/image/dimensions";
import { ImageError } from "../../../../src/engine/image/image-error";
import { sniffFormat } from "../../../../src/engine/image/sniff";
import { grayJpeg } from "./jpeg-fixture";
import { concatBytes } from "../../../../src/compiler/concat-bytes";

const LIMIT = { maxPixels: 1_000_000 };

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof ImageError) return err.code;
    throw err;
  }
  return undefined;
}

const crc32 = (bytes: Uint8Array) => {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
};

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG from raw parts: signature, IHDR(w, h, 8-bit gray), the given IDAT payload, IEND. */
function pngWith(width: number, height: number, idat?: Uint8Array, withIend = true): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (idat) parts.push(chunk("IDAT", idat));
  if (withIend) parts.push(chunk("IEND", new Uint8Array(0)));
  return concatBytes(parts);
}

describe("format detection", () => {
  it("recognises PNG and JPEG by magic bytes", () => {
    expect(sniffFormat(pngWith(1, 1))).toBe("png");
    expect(sniffFormat(grayJpeg([[1]]))).toBe("jpeg");
  });

  it("rejects other formats and noise as unsupported_format", () => {
    const gif = new TextEncoder().encode("GIF89a\x01\x00\x01\x00");
    expect(codeOf(() => decodeImage(gif, LIMIT))).toBe("unsupported_format");
    try {
      decodeImage(gif, LIMIT);
    } catch (err) {
      expect((err as ImageError).message).toMatch(/GIF/);
    }
    const noise = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);
    expect(codeOf(() => decodeImage(noise, LIMIT))).toBe("unsupported_format");
    expect(codeOf(() => decodeImage(new Uint8Array(0), LIMIT))).toBe("unsupported_format");
  });

  it("treats a cut-off signature as corrupt", () => {
    expect(codeOf(() => decodeImage(Uint8Array.from([0x89, 0x50, 0x4e]), LIMIT))).toBe("corrupt_image");
  });
});

describe("size limit", () => {
  it("reads sizes from headers", () => {
    expect(readImageInfo(pngWith(300, 200))).toEqual({ format: "png", width: 300, height: 200 });
    expect(readImageInfo(grayJpeg([[1, 2, 3]]))).toEqual({ format: "jpeg", width: 24, height: 8 });
  });

  it("rejects a PNG declaring 100000 x 100000 from its header alone", () => {
    // No image data at all: decoding would fail as corrupt, so image_too_large proves the order.
    const bytes = pngWith(100_000, 100_000);
    expect(codeOf(() => decodeImage(bytes, LIMIT))).toBe("image_too_large");
  });

  it("rejects a JPEG whose frame header is too large before decoding", () => {
    const sof = [0xff, 0xc0, 0, 11, 8, 0xea, 0x60, 0xea, 0x60, 1, 1, 0x11, 0]; // 60000 x 60000
    const bytes = Uint8Array.from([0xff, 0xd8, ...sof, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]);
    expect(codeOf(() => decodeImage(bytes, LIMIT))).toBe("image_too_large");
  });

  it("reports the numbers", () => {
    try {
      assertPixelLimit(2000, 1000, 1_000_000);
    } catch (err) {
      expect(err).toBeInstanceOf(ImageError);
      expect((err as ImageError).details).toEqual({ width: 2000, height: 1000, maxPixels: 1_000_000 });
    }
    expect(() => assertPixelLimit(1000, 1000, 1_000_000)).not.toThrow();
  });
});

describe("corrupt data", () => {
  const good = encodePng({ width: 16, height: 16, data: new Uint8Array(256 * 3).fill(7), channels: 3, depth: 8 });

  it("rejects a truncated PNG", () => {
    for (const cut of [20, 40, good.length - 13, good.length - 1]) {
      expect(
        codeOf(() => decodeImage(good.subarray(0, cut), LIMIT)),
        `cut at ${cut}`,
      ).toBe("corrupt_image");
    }
  });

  it("rejects a PNG whose image data is missing rows or is not zlib", () => {
    const rows = new Uint8Array(4 * (1 + 4)); // 4 of the 8 rows of an 4x8 gray image
    expect(codeOf(() => decodeImage(pngWith(4, 8, zlibSync(rows)), LIMIT))).toBe("corrupt_image");
    expect(codeOf(() => decodeImage(pngWith(4, 8, Uint8Array.from([1, 2, 3, 4])), LIMIT))).toBe("corrupt_image");
    expect(codeOf(() => decodeImage(pngWith(4, 8), LIMIT))).toBe("corrupt_image"); // no IDAT
  });

  it("stops a decompression bomb at the size the header declares", () => {
    const bomb = zlibSync(new Uint8Array(20_000_000)); // ~20 KB that inflates to 20 MB
    expect(() => decodeImage(pngWith(10, 10, bomb), LIMIT)).toThrow(/image data larger than the header declares/);
  });

  it("rejects an invalid IHDR", () => {
    const bytes = pngWith(4, 4, zlibSync(new Uint8Array(20)));
    bytes[24] = 3; // bit depth 3
    expect(codeOf(() => decodeImage(bytes, LIMIT))).toBe("corrupt_image");
    expect(codeOf(() => decodeImage(pngWith(0, 4), LIMIT))).toBe("corrupt_image");
  });

  it("rejects a truncated JPEG and one without a frame", () => {
    const jpeg = grayJpeg([[10, 20, 30, 40, 50, 60, 70, 80]]);
    const sos = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xda);
    expect(codeOf(() => decodeImage(jpeg.subarray(0, sos + 12), LIMIT))).toBe("corrupt_image");
    expect(codeOf(() => decodeImage(jpeg.subarray(0, 30), LIMIT))).toBe("corrupt_image");
    expect(codeOf(() => decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]), LIMIT))).toBe("corrupt_image");
  });

  it("rejects a PNG whose IHDR (or any chunk before the image data) fails its CRC, as PIL does", () => {
    const bytes = pngWith(4, 4, zlibSync(new Uint8Array(4 * 5)));
    expect(codeOf(() => decodeImage(bytes, LIMIT))).toBeUndefined();
    const badIhdr = bytes.slice();
    badIhdr[29] ^= 0x01; // IHDR's CRC
    expect(() => decodeImage(badIhdr, LIMIT)).toThrow(/bad IHDR checksum/);
    expect(codeOf(() => readImageInfo(badIhdr))).toBe("corrupt_image");
    // A changed width under an unchanged CRC is the same case.
    const resized = bytes.slice();
    resized[19] = 5;
    expect(codeOf(() => decodeImage(resized, LIMIT))).toBe("corrupt_image");
    const text = chunk("tEXt", new TextEncoder().encode("Comment\0hello"));
    text[text.length - 1] ^= 0xff;
    const badText = new Uint8Array([...bytes.subarray(0, 33), ...text, ...bytes.subarray(33)]);
    expect(() => decodeImage(badText, LIMIT)).toThrow(/bad tEXt checksum/);
  });

  it("rejects a JPEG whose frame header declares more than its data holds (SOF 2000x2000, 64x64 of data)", () => {
    const rgba = new Uint8Array(64 * 64 * 4).map((_, i) => (i * 7) & 255);
    const jpeg = new Uint8Array(jpegJs.encode({ data: rgba, width: 64, height: 64 }, 90).data);
    expect(decodeImage(jpeg, { maxPixels: 5_000_000 })).toMatchObject({ width: 64, height: 64 });
    const lying = jpeg.slice();
    const sof = lying.findIndex((b, i) => b === 0xff && lying[i + 1] === 0xc0);
    lying.set([2000 >> 8, 2000 & 255, 2000 >> 8, 2000 & 255], sof + 5); // height, width
    expect(readImageInfo(lying)).toMatchObject({ width: 2000, height: 2000 });
    expect(codeOf(() => decodeImage(lying, { maxPixels: 5_000_000 }))).toBe("corrupt_image");
    expect(() => decodeImage(lying, { maxPixels: 5_000_000 })).toThrow(/ends before the 2000x2000 frame is complete/);
  });

  it("rejects the same lie in a JPEG with restart markers and in a progressive one", () => {
    const rows = [Array.from({ length: 8 }, (_, i) => 10 * i)];
    for (const opts of [{ restartInterval: 2 }, { progressive: true }]) {
      const jpeg = grayJpeg(rows, opts);
      expect(codeOf(() => decodeImage(jpeg, LIMIT))).toBeUndefined();
      const lying = jpeg.slice();
      const sof = lying.findIndex((b, i) => b === 0xff && (lying[i + 1] === 0xc0 || lying[i + 1] === 0xc2));
      lying[sof + 5] = 0;
      lying[sof + 6] = 64; // 8 -> 64 rows
      expect(
        codeOf(() => decodeImage(lying, LIMIT)),
        JSON.stringify(opts),
      ).toBe("corrupt_image");
    }
  });

  it("rejects JPEG variants we cannot decode as unsupported_format", () => {
    const jpeg = grayJpeg([[10]]);
    const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
    const arithmetic = jpeg.slice();
    arithmetic[sof + 1] = 0xc9;
    expect(codeOf(() => decodeImage(arithmetic, LIMIT))).toBe("unsupported_format");
    const twelveBit = jpeg.slice();
    twelveBit[sof + 4] = 12;
    expect(codeOf(() => decodeImage(twelveBit, LIMIT))).toBe("unsupported_format");
  });
});
