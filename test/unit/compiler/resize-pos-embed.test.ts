// Positional-embedding resize: torch antialiased bicubic taps and provable properties (identity, constants, ramps).
import { describe, expect, it } from "vitest";
import type { Tensor } from "../../../src/compiler/checkpoint/clip-checkpoint";
import { aaBicubicTaps, resizePositionalEmbedding } from "../../../src/compiler/checkpoint/resize-pos-embed";
import { expectCheckpointError } from "./checkpoint-fixtures";

/** [1 + g*g, width] with the class row = 1000 + c and grid values from fn(y, x, c). */
function posEmbed(g: number, width: number, fn: (y: number, x: number, c: number) => number): Tensor {
  const data = new Float32Array((1 + g * g) * width);
  for (let c = 0; c < width; c++) data[c] = 1000 + c;
  for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) for (let c = 0; c < width; c++) data[(1 + y * g + x) * width + c] = fn(y, x, c);
  return { shape: [1 + g * g, width], data };
}

const at = (t: Tensor, g: number, y: number, x: number, c: number): number => t.data[(1 + y * g + x) * t.shape[1]! + c]!;

describe("aaBicubicTaps (torch antialiased bicubic, a = -0.5)", () => {
  it("matches hand-computed upsampling taps (2 -> 3)", () => {
    const taps = aaBicubicTaps(2, 3);
    const want = [
      [1.0657894736842104, -0.06578947368421037],
      [0.5, 0.5],
      [-0.0657894736842109, 1.0657894736842108],
    ];
    taps.forEach((t, i) => {
      expect(t.start).toBe(0);
      expect(
        Array.from(t.weights)
          .map((w, j) => w - want[i]![j]!)
          .every((d) => Math.abs(d) < 1e-6),
      ).toBe(true);
    });
  });

  it("matches hand-computed antialiased downsampling taps (3 -> 2, 4 -> 2: support widened by the scale)", () => {
    const t3 = aaBicubicTaps(3, 2);
    expect(t3[0]!.weights).toHaveLength(3);
    [0.65008025682183, 0.390048154093098, -0.040128410914928].forEach((w, j) => {
      expect(t3[0]!.weights[j]!).toBeCloseTo(w, 6);
    });
    const t4 = aaBicubicTaps(4, 2);
    expect(t4[1]!.weights).toHaveLength(4);
    [-0.0371900826446281, 0.11983471074380166, 0.45867768595041325, 0.45867768595041325].forEach((w, j) => {
      expect(t4[1]!.weights[j]!).toBeCloseTo(w, 6);
    });
  });

  it("normalises every output's weights to 1", () => {
    for (const [n, m] of [
      [16, 24],
      [24, 16],
      [7, 10],
      [37, 5],
      [5, 37],
    ] as const) {
      for (const t of aaBicubicTaps(n, m)) expect(t.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe("resizePositionalEmbedding", () => {
  const random = posEmbed(16, 5, (y, x, c) => Math.sin(y * 1.3 + x * 0.7 + c));

  it("is the identity (a copy) when the grid does not change", () => {
    const out = resizePositionalEmbedding(random, 16, 16);
    expect(out).toEqual(random);
    expect(out.data).not.toBe(random.data);
  });

  it("keeps the class position and produces [1 + gn^2, width]", () => {
    const out = resizePositionalEmbedding(random, 16, 24);
    expect(out.shape).toEqual([577, 5]);
    expect(Array.from(out.data.subarray(0, 5))).toEqual([1000, 1001, 1002, 1003, 1004]);
  });

  it("keeps a constant grid constant, up and down", () => {
    for (const [g, gn] of [
      [16, 24],
      [24, 16],
      [7, 10],
      [10, 7],
      [3, 1],
    ] as const) {
      const out = resizePositionalEmbedding(
        posEmbed(g, 3, (_y, _x, c) => 0.25 - c),
        g,
        gn,
      );
      for (let y = 0; y < gn; y++) for (let x = 0; x < gn; x++) for (let c = 0; c < 3; c++) expect(at(out, gn, y, x, c)).toBeCloseTo(0.25 - c, 5);
    }
  });

  it("reproduces linear and quadratic ramps exactly away from the borders when upsampling (Keys a = -0.5)", () => {
    const g = 16;
    const gn = 24;
    const scale = g / gn;
    const f = (y: number, x: number, c: number): number => 0.3 + 0.05 * x - 0.02 * y + c * (0.001 * x * x - 0.002 * y * y);
    const out = resizePositionalEmbedding(posEmbed(g, 2, f), g, gn);
    // Output i samples input coordinate scale * (i + 0.5) - 0.5; interior = all four taps inside the grid.
    const src = (i: number): number => scale * (i + 0.5) - 0.5;
    const interior = [...Array(gn).keys()].filter((i) => src(i) - 1 >= 0 && src(i) + 2 <= g - 1);
    expect(interior.length).toBeGreaterThan(15);
    for (const y of interior)
      for (const x of interior)
        for (let c = 0; c < 2; c++) {
          expect(at(out, gn, y, x, c)).toBeCloseTo(f(src(y), src(x), c), 5);
        }
  });

  it("is separable and symmetric: mirroring the input mirrors the output", () => {
    const g = 7;
    const gn = 11;
    const fn = (y: number, x: number, c: number) => Math.cos(3 * y + x * x + c);
    const a = resizePositionalEmbedding(posEmbed(g, 2, fn), g, gn);
    const b = resizePositionalEmbedding(
      posEmbed(g, 2, (y, x, c) => fn(g - 1 - y, g - 1 - x, c)),
      g,
      gn,
    );
    for (let y = 0; y < gn; y++) for (let x = 0; x < gn; x++) expect(at(b, gn, y, x, 1)).toBeCloseTo(at(a, gn, gn - 1 - y, gn - 1 - x, 1), 5);
  });

  it("rejects an embedding that is not [1 + g*g, width]", () => {
    expectCheckpointError(() => resizePositionalEmbedding({ shape: [17, 4], data: new Float32Array(68) }, 5, 6), "shape_mismatch", ["[17, 4]"]);
  });
});
