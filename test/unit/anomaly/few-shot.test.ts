import { describe, expect, it } from "vitest";
import { combineMaps, fewShotMap, mapMax, memoryBankFromShots } from "../../../src/engine/anomaly/few-shot";
import { fewShotDistancesReference } from "../../helpers/few-shot-reference";

describe("memoryBankFromShots", () => {
  it("drops class tokens and concatenates patch rows in shot order", () => {
    const W = 2;
    // shot s, row r (row 0 = class token) holds (10 s + r, -(10 s + r))
    const shot = (s: number): Float32Array => Float32Array.from({ length: 5 * W }, (_, i) => (i % 2 ? -1 : 1) * (10 * s + Math.floor(i / 2)));
    const bank = memoryBankFromShots([shot(1), shot(2), shot(3)], W);
    expect(bank).toHaveLength(3 * 4 * W);
    const firstColumn = Array.from({ length: 12 }, (_, r) => bank[r * W]);
    expect(firstColumn).toEqual([11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34]);
    expect(bank[1]).toBe(-11);
  });

  it("rejects shots of different sizes or none", () => {
    expect(() => memoryBankFromShots([], 2)).toThrow(RangeError);
    expect(() => memoryBankFromShots([new Float32Array(10), new Float32Array(8)], 2)).toThrow(RangeError);
  });
});

describe("fewShotMap / combineMaps", () => {
  it("zero distances give a zero map", () => {
    const map = fewShotMap([new Float32Array(4), new Float32Array(4)], 2, 7);
    expect(map).toHaveLength(49);
    expect(mapMax(map)).toBe(0);
  });

  it("sums upsampled layers", () => {
    const map = fewShotMap([new Float32Array([0, 1, 2, 3]), new Float32Array(4).fill(0.25)], 2, 3);
    const expected = [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3].map((v) => v + 0.25);
    expected.forEach((v, i) => {
      expect(map[i]).toBeCloseTo(v, 6);
    });
  });

  it("combines element-wise", () => {
    expect(Array.from(combineMaps(new Float32Array([1, 2]), new Float32Array([0.5, -1])))).toEqual([1.5, 1]);
    expect(() => combineMaps(new Float32Array(2), new Float32Array(3))).toThrow(RangeError);
    expect(mapMax(new Float32Array([-3, -1, -2]))).toBe(-1);
  });
});

describe("fewShotDistancesReference", () => {
  const memory = new Float32Array([1, 0, 0, 0, 2, 0, 0, 0, 1]); // three orthogonal rows, W = 3

  it("is 0 for a query equal to (or a positive multiple of) a memory row", () => {
    const d = fewShotDistancesReference(new Float32Array([0, 2, 0, 0, 0, 5]), memory, 3);
    expect(d[0]).toBeCloseTo(0, 7);
    expect(d[1]).toBeCloseTo(0, 7);
  });

  it("is min(1 - cos) over the memory rows", () => {
    const d = fewShotDistancesReference(new Float32Array([1, 1, 0, -1, 0, 0, 0, 0, 0]), memory, 3);
    expect(d[0]).toBeCloseTo(1 - Math.SQRT1_2, 6);
    expect(d[1]).toBeCloseTo(1, 7); // orthogonal to two rows, opposite to one: best cos = 0
    expect(d[2]).toBeCloseTo(1, 7); // zero vector: cosine 0 (sklearn semantics)
    const opposite = fewShotDistancesReference(new Float32Array([-1, 0]), new Float32Array([1, 0]), 2);
    expect(opposite[0]).toBeCloseTo(2, 7);
  });

  it("feeds fewShotMap: a query made of memory rows gives a zero map", () => {
    const q = new Float32Array([...memory, ...memory.subarray(0, 3)]); // rows 0, 1, 2, 0 as a 2x2 grid
    expect(mapMax(fewShotMap([fewShotDistancesReference(q, memory, 3)], 2, 5))).toBeCloseTo(0, 6);
  });
});
