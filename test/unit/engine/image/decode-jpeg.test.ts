// JPEG decoding: exact values on crafted files (baseline, progressive, restarts), EXIF orientation.
import { encode as encodeJpegJs } from "jpeg-js";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../../src/engine/image/decode";
import { grayJpeg } from "./jpeg-fixture";

const LIMIT = { maxPixels: 10_000_000 };
const BLOCKS = [
  [200, 50, 128],
  [0, 255, 17],
];

/** The full-size pixel array of flat 8x8 blocks. */
function expand(blocks: number[][]): number[] {
  const out: number[] = [];
  for (const row of blocks) for (let y = 0; y < 8; y++) for (const v of row) out.push(...Array(8).fill(v));
  return out;
}

describe("decodeImage (JPEG)", () => {
  it("decodes a baseline grayscale JPEG exactly, as one channel", () => {
    const img = decodeImage(grayJpeg(BLOCKS), LIMIT);
    expect(img).toMatchObject({ width: 24, height: 16, channels: 1, mode: "L" });
    expect(Array.from(img.data)).toEqual(expand(BLOCKS));
  });

  it("resets predictors at restart markers", () => {
    const img = decodeImage(grayJpeg(BLOCKS, { restartInterval: 1 }), LIMIT);
    expect(Array.from(img.data)).toEqual(expand(BLOCKS));
    const img2 = decodeImage(grayJpeg(BLOCKS, { restartInterval: 4 }), LIMIT);
    expect(Array.from(img2.data)).toEqual(expand(BLOCKS));
  });

  it("decodes progressive scans (DC successive approximation, EOB runs)", () => {
    const img = decodeImage(grayJpeg(BLOCKS, { progressive: true }), LIMIT);
    expect(Array.from(img.data)).toEqual(expand(BLOCKS));
  });

  it("applies EXIF orientation 6 (rotate 90 degrees clockwise) unless disabled", () => {
    const bytes = grayJpeg([[200, 50]], { orientation: 6 });
    const rotated = decodeImage(bytes, LIMIT);
    expect(rotated).toMatchObject({ width: 8, height: 16 });
    expect(rotated.data[0]).toBe(200); // the left block is now on top
    expect(rotated.data[8 * 15]).toBe(50);
    const raw = decodeImage(bytes, { ...LIMIT, applyExifOrientation: false });
    expect(raw).toMatchObject({ width: 16, height: 8 });
    expect(Array.from(raw.data)).toEqual(expand([[200, 50]]));
  });

  it("decodes colour JPEGs close to the source (jpeg-js encoder, 4:4:4)", () => {
    const width = 40;
    const height = 24;
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        rgba.set([x * 6, y * 10, 255 - x * 3, 255], i);
      }
    }
    const bytes = new Uint8Array(encodeJpegJs({ width, height, data: rgba }, 95).data);
    const img = decodeImage(bytes, LIMIT);
    expect(img).toMatchObject({ width, height, channels: 3, mode: "RGB" });
    let sum = 0;
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < 3; c++) sum += Math.abs(img.data[i * 3 + c]! - rgba[i * 4 + c]!);
    }
    expect(sum / (width * height * 3)).toBeLessThan(2);
  });
});
