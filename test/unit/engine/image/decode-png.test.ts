// PNG decoding: every colour type and depth, sample values as PIL unpacks them.
import { encode as encodePng } from "fast-png";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../../src/engine/image/decode";

const LIMIT = { maxPixels: 10_000_000 };

describe("decodeImage (PNG)", () => {
  it("keeps 8-bit grayscale as one channel", () => {
    const data = Uint8Array.from([0, 50, 100, 150, 200, 255]);
    const img = decodeImage(encodePng({ width: 3, height: 2, data, channels: 1, depth: 8 }), LIMIT);
    expect(img).toMatchObject({ width: 3, height: 2, channels: 1, mode: "L" });
    expect(Array.from(img.data)).toEqual(Array.from(data));
    expect(img.alpha).toBeUndefined();
  });

  it("decodes RGB", () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const img = decodeImage(encodePng({ width: 2, height: 1, data, channels: 3, depth: 8 }), LIMIT);
    expect(img).toMatchObject({ channels: 3, mode: "RGB" });
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("splits RGBA into colour and straight alpha; drops an all-opaque alpha", () => {
    const data = Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 128]);
    const img = decodeImage(encodePng({ width: 2, height: 1, data, channels: 4, depth: 8 }), LIMIT);
    expect(img).toMatchObject({ channels: 3, mode: "RGBA" });
    expect(Array.from(img.data)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(Array.from(img.alpha!)).toEqual([0, 128]);
    const opaque = Uint8Array.from([10, 20, 30, 255]);
    const img2 = decodeImage(encodePng({ width: 1, height: 1, data: opaque, channels: 4, depth: 8 }), LIMIT);
    expect(img2.alpha).toBeUndefined();
  });

  it("keeps gray+alpha as one gray channel plus alpha", () => {
    const data = Uint8Array.from([70, 200, 90, 255]);
    const img = decodeImage(encodePng({ width: 2, height: 1, data, channels: 2, depth: 8 }), LIMIT);
    expect(img).toMatchObject({ channels: 1, mode: "LA" });
    expect(Array.from(img.data)).toEqual([70, 90]);
    expect(Array.from(img.alpha!)).toEqual([200, 255]);
  });

  it("converts 16-bit to 8-bit by the high byte (colour: as PIL; gray: see gray16)", () => {
    const rgb = Uint16Array.from([0x1234, 0xff00, 0x00ff]);
    const img = decodeImage(encodePng({ width: 1, height: 1, data: rgb, channels: 3, depth: 16 }), LIMIT);
    expect(Array.from(img.data)).toEqual([0x12, 0xff, 0x00]);
    const gray = Uint16Array.from([0x0001, 0x00ff, 0x0100, 0xabcd]);
    const png = encodePng({ width: 4, height: 1, data: gray, channels: 1, depth: 16 });
    expect(Array.from(decodeImage(png, LIMIT).data)).toEqual([0, 0, 1, 0xab]);
    // PIL's own I;16 -> RGB conversion saturates; a 0/1 label mask survives only that way.
    expect(Array.from(decodeImage(png, { ...LIMIT, gray16: "saturate" }).data)).toEqual([1, 255, 255, 255]);
  });

  it("maps palette images to RGB, mode P", () => {
    const palette = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const data = Uint8Array.from([2, 0, 1, 2]);
    const img = decodeImage(encodePng({ width: 4, height: 1, data, channels: 1, depth: 8, palette }), LIMIT);
    expect(img).toMatchObject({ channels: 3, mode: "P" });
    expect(Array.from(img.data)).toEqual([0, 0, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  });

  it("scales low bit depths like PIL (1-bit -> mode 1, 0/255; 2-bit x 0x55; 4-bit x 0x11)", () => {
    // 1-bit, width 10: bits 1011001110 -> one row packed in two bytes
    const one = decodeImage(encodePng({ width: 10, height: 1, data: Uint8Array.from([0b10110011, 0b10000000]), channels: 1, depth: 1 }), LIMIT);
    expect(one.mode).toBe("1");
    expect(Array.from(one.data)).toEqual([255, 0, 255, 255, 0, 0, 255, 255, 255, 0]);
    const two = decodeImage(encodePng({ width: 4, height: 1, data: Uint8Array.from([0b00011011]), channels: 1, depth: 2 }), LIMIT);
    expect(Array.from(two.data)).toEqual([0, 0x55, 0xaa, 0xff]);
    const four = decodeImage(encodePng({ width: 3, height: 1, data: Uint8Array.from([0x1f, 0x80]), channels: 1, depth: 4 }), LIMIT);
    expect(Array.from(four.data)).toEqual([0x11, 0xff, 0x88]);
  });

  it("decodes Adam7-interlaced files", () => {
    const data = Uint8Array.from({ length: 9 * 7 * 3 }, (_, i) => (i * 7) & 255);
    const png = encodePng({ width: 9, height: 7, data, channels: 3, depth: 8 }, { interlace: "Adam7" });
    expect(Array.from(decodeImage(png, LIMIT).data)).toEqual(Array.from(data));
  });
});
