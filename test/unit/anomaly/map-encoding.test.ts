import { decode } from "fast-png";
import { describe, expect, it } from "vitest";
import { encodeMapPng, resizeMapBilinear } from "../../../src/engine/anomaly/map-encoding";

describe("encodeMapPng", () => {
  it("round-trips as 8-bit grayscale of map / max clamped to [0, 1]", () => {
    const png = encodeMapPng(new Float32Array([0, 0.5, 1, 2]), 2, 1);
    const img = decode(png);
    expect(img.width).toBe(2);
    expect(img.height).toBe(2);
    expect(img.channels).toBe(1);
    expect(img.depth).toBe(8);
    expect(Array.from(img.data)).toEqual([0, 128, 255, 255]);
  });

  it("supports non-square maps, negative values and NaN", () => {
    const img = decode(encodeMapPng(new Float32Array([-1, Number.NaN, 2, 4, 3, 1]), { width: 3, height: 2 }, 4));
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual([0, 0, 128, 255, 191, 64]);
  });

  it("gives a black image for a non-positive max and rejects a wrong size", () => {
    expect(Array.from(decode(encodeMapPng(new Float32Array([1, 2, 3, 4]), 2, 0)).data)).toEqual([0, 0, 0, 0]);
    expect(() => encodeMapPng(new Float32Array(5), 2, 1)).toThrow(RangeError);
  });
});

describe("resizeMapBilinear", () => {
  it("resizes with half-pixel centres to the requested width x height", () => {
    const out = resizeMapBilinear(new Float32Array([0, 4, 0, 4]), 2, 4, 3);
    expect(out).toHaveLength(12);
    for (let y = 0; y < 3; y++) expect(Array.from(out.subarray(y * 4, y * 4 + 4))).toEqual([0, 1, 3, 4]);
  });

  it("keeps a constant map constant", () => {
    for (const v of resizeMapBilinear(new Float32Array(9).fill(2.5), 3, 7, 5)) expect(v).toBeCloseTo(2.5, 6);
  });
});
