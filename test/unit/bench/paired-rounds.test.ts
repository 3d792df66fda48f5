import { describe, expect, it } from "vitest";
import { pairedRatios } from "../../../src/bench/paired-rounds";

describe("pairedRatios", () => {
  it("takes each round's a / b and the median of those ratios, not the ratio of medians", () => {
    // medians of a and b alone would be 600 / 700 = 0.857; the rounds' ratios are 0.5, 0.9 and 1.2
    const r = pairedRatios([
      { a: 300, b: 600 },
      { a: 600, b: 500 },
      { a: 630, b: 700 },
    ]);
    expect(r.rounds.map((x) => x.ratio)).toEqual([0.5, 1.2, 0.9]);
    expect(r.median).toBe(0.9);
    expect(r.min).toBe(0.5);
    expect(r.max).toBe(1.2);
  });

  it("averages the middle two ratios of an even count", () => {
    expect(
      pairedRatios([
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ]).median,
    ).toBe(0.625);
  });

  it("refuses no rounds and non-positive times", () => {
    expect(() => pairedRatios([])).toThrow(RangeError);
    expect(() => pairedRatios([{ a: 0, b: 1 }])).toThrow(/positive/);
    expect(() => pairedRatios([{ a: 1, b: Number.NaN }])).toThrow(/positive/);
  });
});
