// EXIF Orientation: parsing the tag and the eight transforms (as PIL's exif_transpose).
import { describe, expect, it } from "vitest";
import type { DecodedImage } from "../../../../src/engine/image/decoded-image";
import { readExifOrientation } from "../../../../src/engine/image/exif-orientation";
import type { Orientation } from "../../../../src/engine/image/exif-orientation";
import { applyOrientation } from "../../../../src/engine/image/orient";

function tiff(little: boolean, orientation: number, type = 3): Uint8Array {
  const b = new Uint8Array(26);
  const v = new DataView(b.buffer);
  b.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
  v.setUint16(2, 42, little);
  v.setUint32(4, 8, little);
  v.setUint16(8, 1, little);
  v.setUint16(10, 0x0112, little);
  v.setUint16(12, type, little);
  v.setUint32(14, 1, little);
  v.setUint16(18, orientation, little);
  return b;
}

describe("readExifOrientation", () => {
  it("reads the tag in both byte orders", () => {
    expect(readExifOrientation(tiff(true, 6))).toBe(6);
    expect(readExifOrientation(tiff(false, 8))).toBe(8);
  });

  it("falls back to 1 on anything odd", () => {
    expect(readExifOrientation(tiff(true, 9))).toBe(1);
    expect(readExifOrientation(tiff(true, 6, 4))).toBe(1);
    expect(readExifOrientation(tiff(true, 6).subarray(0, 12))).toBe(1);
    expect(readExifOrientation(new Uint8Array(3))).toBe(1);
  });
});

describe("applyOrientation", () => {
  // 3 x 2 image:  a b c
  //               d e f
  const src: DecodedImage = { width: 3, height: 2, channels: 1, mode: "L", data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
  const cases: Array<[Orientation, number, number, number[]]> = [
    [1, 3, 2, [1, 2, 3, 4, 5, 6]],
    [2, 3, 2, [3, 2, 1, 6, 5, 4]], // mirror left-right
    [3, 3, 2, [6, 5, 4, 3, 2, 1]], // rotate 180
    [4, 3, 2, [4, 5, 6, 1, 2, 3]], // mirror top-bottom
    [5, 2, 3, [1, 4, 2, 5, 3, 6]], // transpose
    [6, 2, 3, [4, 1, 5, 2, 6, 3]], // rotate 90 clockwise
    [7, 2, 3, [6, 3, 5, 2, 4, 1]], // transverse
    [8, 2, 3, [3, 6, 2, 5, 1, 4]], // rotate 90 counter-clockwise
  ];
  it.each(cases)("orientation %i", (o, w, h, expected) => {
    const out = applyOrientation(src, o);
    expect([out.width, out.height]).toEqual([w, h]);
    expect(Array.from(out.data)).toEqual(expected);
  });

  it("moves every channel and the alpha plane together", () => {
    const rgb: DecodedImage = {
      width: 2,
      height: 1,
      channels: 3,
      mode: "RGBA",
      data: Uint8Array.from([1, 2, 3, 4, 5, 6]),
      alpha: Uint8Array.from([7, 8]),
    };
    const out = applyOrientation(rgb, 2);
    expect(Array.from(out.data)).toEqual([4, 5, 6, 1, 2, 3]);
    expect(Array.from(out.alpha!)).toEqual([8, 7]);
  });
});
