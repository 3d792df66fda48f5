// The streaming map PNG: the same pixels as resizing the map then encoding it (the path it replaces), any size;
// Sub-filtered rows, read back by fast-png.
import { decode } from "fast-png";
import { describe, expect, it } from "vitest";
import { encodeMapPng, resizeMapBilinear } from "../../../src/engine/anomaly/map-encoding";
import { encodeResizedMapPng } from "../../../src/engine/anomaly/map-png-stream";

function randomMap(size: number, seed: number): Float32Array {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 3 - 0.5;
  };
  return Float32Array.from({ length: size * size }, next);
}

describe("encodeResizedMapPng", () => {
  it.each([
    [8, 8, 8, 2.5],
    [8, 13, 5, 2.5],
    [14, 900, 600, 1.7],
    [7, 1, 1, 1],
    [5, 3, 40, 0.9],
  ])("matches encodeMapPng(resizeMapBilinear(...)) for a %i map to %ix%i", (size, width, height, max) => {
    const map = randomMap(size, size * 31 + width);
    map[3] = Number.NaN;
    const expected = decode(encodeMapPng(resizeMapBilinear(map, size, width, height), { width, height }, max));
    const actual = decode(encodeResizedMapPng(map, size, width, height, max));
    expect([actual.width, actual.height, actual.channels, actual.depth]).toEqual([width, height, 1, 8]);
    expect(Buffer.from(actual.data as Uint8Array).equals(Buffer.from(expected.data as Uint8Array))).toBe(true);
  });

  it("rounds like Math.round at the half-way points and clamps (values passed through unresized)", () => {
    // max 255: pixel = round(value); width = size, so the bilinear weights are 0 and each (finite) value passes unchanged.
    const values = [0.5, 1.5, 2.5, 254.5, 0.49999997, 1.4999999, 254.49998, 255, 300, -1, 0, 3.5, 1e-30, 127.5, 128.5, 254.5001];
    const map = Float32Array.from({ length: 16 }, (_, i) => values[i]!);
    const actual = decode(encodeResizedMapPng(map, 4, 4, 4, 255)).data;
    const expected = Array.from(map, (v) => (v >= 255 ? 255 : v > 0 ? Math.round(v) : 0));
    expect(Array.from(actual)).toEqual(expected);
    expect(expected.slice(0, 4)).toEqual([1, 2, 3, 255]);
  });

  it("writes black for a non-positive or non-finite max, and refuses bad sizes", () => {
    for (const max of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(Array.from(decode(encodeResizedMapPng(new Float32Array([1, 2, 3, 4]), 2, 3, 3, max)).data)).toEqual(new Array(9).fill(0));
    }
    expect(() => encodeResizedMapPng(new Float32Array(5), 2, 3, 3, 1)).toThrow(RangeError);
    expect(() => encodeResizedMapPng(new Float32Array(4), 2, 0, 3, 1)).toThrow(RangeError);
  });

  it("successive encodings of different maps each keep their own pixels (the PNG shares no pooled buffer)", () => {
    const maps = [0, 1, 2, 3, 4, 5].map((k) => randomMap(14, 100 + k));
    const pngs = maps.map((map) => encodeResizedMapPng(map, 14, 333, 250, 2));
    pngs.forEach((png, k) => {
      const expected = decode(encodeMapPng(resizeMapBilinear(maps[k]!, 14, 333, 250), { width: 333, height: 250 }, 2));
      expect(Buffer.from(decode(png).data as Uint8Array).equals(Buffer.from(expected.data as Uint8Array))).toBe(true);
    });
  });
});
