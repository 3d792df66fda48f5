import { describe, expect, it } from "vitest";
import { labelRegions } from "../../../src/engine/anomaly/label-regions";
import { findRegions, rescaleRegions } from "../../../src/engine/anomaly/regions";

function mapFrom(rows: number[][]): Float32Array {
  return Float32Array.from(rows.flat());
}

describe("findRegions", () => {
  it("finds 8-connected blobs (diagonals join) sorted by peak score", () => {
    const map = mapFrom([
      [0.6, 0, 0, 0, 0, 0],
      [0, 0.7, 0, 0, 0, 0],
      [0, 0, 0.5, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0.9, 0.5],
      [0, 0, 0, 0, 0.5, 0.5],
    ]);
    const regions = findRegions(map, 6, 6, 0.5);
    expect(regions).toEqual([
      { x: 4, y: 4, width: 2, height: 2, score: expect.closeTo(0.9, 6), area: 4 },
      { x: 0, y: 0, width: 3, height: 3, score: expect.closeTo(0.7, 6), area: 3 },
    ]);
  });

  it("does not join 4-apart pixels, includes values equal to the threshold, skips NaN", () => {
    const map = mapFrom([
      [1, 0, 1],
      [0, Number.NaN, 0],
      [2, 0, 1],
    ]);
    const regions = findRegions(map, 3, 3, 1);
    expect(regions).toHaveLength(4);
    expect(regions[0]).toEqual({ x: 0, y: 2, width: 1, height: 1, score: 2, area: 1 });
    expect(regions.slice(1).map((r) => [r.x, r.y])).toEqual([
      [0, 0],
      [2, 0],
      [2, 2],
    ]);
  });

  it("handles non-square maps and a large single component without recursion", () => {
    const w = 600;
    const h = 500;
    const big = new Float32Array(w * h).fill(1);
    const regions = findRegions(big, w, h, 0.5);
    expect(regions).toEqual([{ x: 0, y: 0, width: w, height: h, score: 1, area: w * h }]);
    expect(findRegions(big, w, h, 2)).toEqual([]);
    expect(() => findRegions(big, w, w, 1)).toThrow(RangeError);
  });
});

describe("findRegions buffer reuse", () => {
  it("gives the same regions for a map before and after other maps (larger, smaller) as labelRegions does on fresh arrays", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const noise = (w: number, h: number) => Float32Array.from({ length: w * h }, random);
    const a = noise(40, 30);
    const first = findRegions(a, 40, 30, 0.7);
    findRegions(noise(90, 80), 90, 80, 0.5);
    findRegions(noise(5, 4), 5, 4, 0.2);
    expect(findRegions(a, 40, 30, 0.7)).toEqual(first);
    const fresh = labelRegions(
      Uint8Array.from(a, (v) => (v >= 0.7 ? 1 : 0)),
      40,
      30,
    );
    expect(first.length).toBe(fresh.count);
    expect(first.map((r) => r.area).sort((x, y) => x - y)).toEqual([...fresh.areas].sort((x, y) => x - y));
  });
});

describe("rescaleRegions", () => {
  it("scales boxes outward and areas by the pixel ratio", () => {
    const r = [{ x: 1, y: 1, width: 2, height: 1, score: 0.8, area: 2 }];
    expect(rescaleRegions(r, 4, 8, 12)).toEqual([{ x: 2, y: 3, width: 4, height: 3, score: 0.8, area: 12 }]);
  });

  it("keeps boxes inside the image and at least one pixel", () => {
    const r = [{ x: 223, y: 0, width: 1, height: 224, score: 1, area: 224 }];
    expect(rescaleRegions(r, 224, 100, 50)).toEqual([{ x: 99, y: 0, width: 1, height: 50, score: 1, area: 22 }]);
  });
});
