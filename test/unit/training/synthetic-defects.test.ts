// The synthetic defect generator: its mask is exactly the set of changed pixels, it is seeded and deterministic.
import { describe, expect, it } from "vitest";
import { perlinNoise } from "../../../src/training/perlin-noise";
import { createRng, permutation } from "../../../src/training/prng";
import { DEFECT_KINDS, synthesizeDefect, type RasterImage } from "../../../src/training/synthetic-defects";

/** A smooth gradient with mild texture, like a product photo: every generated defect has something to change. */
function photo(width: number, height: number, channels: 1 | 3, seed: number): RasterImage {
  const rng = createRng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = Math.round(60 + (120 * (x + y)) / (width + height) + 20 * c + 8 * rng.next());
    }
  }
  return { width, height, channels, data };
}

/** Number of positions where two byte arrays differ (toEqual on large typed arrays is slow). */
function differences(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Pixels whose value differs in any channel. */
function changedPixels(a: RasterImage, b: RasterImage): Uint8Array {
  const out = new Uint8Array(a.width * a.height);
  for (let i = 0; i < out.length; i++) {
    for (let c = 0; c < a.channels; c++) if (a.data[i * a.channels + c] !== b.data[i * b.channels + c]) out[i] = 1;
  }
  return out;
}

describe("synthesizeDefect", () => {
  const cases = [
    { name: "RGB, texture of another size", target: photo(120, 90, 3, 1), texture: photo(70, 110, 3, 2) },
    { name: "grey target, colour texture", target: photo(96, 96, 1, 3), texture: photo(50, 50, 3, 4) },
    { name: "colour target, grey texture", target: photo(80, 100, 3, 5), texture: photo(64, 64, 1, 6) },
  ];
  for (const c of cases) {
    for (const kind of DEFECT_KINDS) {
      it(`${kind} (${c.name}): mask == changed pixels, at the original resolution`, () => {
        for (let seed = 0; seed < 8; seed++) {
          const before = Uint8Array.from(c.target.data);
          const d = synthesizeDefect(c.target, c.texture, createRng(seed), kind);
          expect(differences(c.target.data, before)).toBe(0); // the input is not modified
          expect(d.kind).toBe(kind);
          expect([d.image.width, d.image.height, d.image.channels]).toEqual([c.target.width, c.target.height, c.target.channels]);
          expect(d.mask.length).toBe(c.target.width * c.target.height);
          expect(differences(d.mask, changedPixels(c.target, d.image))).toBe(0);
          expect(d.mask.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(0.001 * d.mask.length);
        }
      });
    }
  }

  it("is deterministic for a seed and varies across seeds and kinds", () => {
    const { target, texture } = cases[0]!;
    const a = synthesizeDefect(target, texture, createRng(42));
    const b = synthesizeDefect(target, texture, createRng(42));
    expect(differences(b.image.data, a.image.data)).toBe(0);
    expect(differences(b.mask, a.mask)).toBe(0);
    const kinds = new Set<string>();
    const masks = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const d = synthesizeDefect(target, texture, createRng(seed));
      kinds.add(d.kind);
      masks.add(d.mask.join(""));
    }
    expect(kinds.size).toBe(3);
    expect(masks.size).toBe(12);
  });

  it("rejects an image whose data does not match its size", () => {
    const bad = { width: 4, height: 4, channels: 3 as const, data: new Uint8Array(10) };
    expect(() => synthesizeDefect(bad, bad, createRng(1))).toThrow(RangeError);
  });
});

describe("perlinNoise and the PRNG", () => {
  it("noise is deterministic, bounded and not constant", () => {
    const a = perlinNoise(64, 48, 4, 2, createRng(7));
    expect(perlinNoise(64, 48, 4, 2, createRng(7))).toEqual(a);
    const max = Math.max(...a);
    const min = Math.min(...a);
    expect(max).toBeLessThanOrEqual(1);
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max - min).toBeGreaterThan(0.3);
  });

  it("permutation is a permutation; streams differ by seed", () => {
    const p = permutation(50, createRng(3));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(createRng(1).next()).not.toBe(createRng(2).next());
    const r = createRng(9);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(5);
      expect(v >= 0 && v < 5 && Number.isInteger(v)).toBe(true);
    }
  });
});
