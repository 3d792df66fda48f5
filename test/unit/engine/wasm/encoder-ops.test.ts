// The kernel's copies and elementwise steps around the image encoder's blocks against the TypeScript loops they
// replaced, bit for bit, with the tails (patch sizes not a multiple of 4, counts and widths with 1-3 left over, row
// counts not a multiple of 4).
import { describe, expect, it } from "vitest";
import { loadInt8Gemm } from "../../../../src/bench/int8-gemm-node";
import type { GemmKind } from "../../../../src/engine/wasm/int8-gemm";
import { seededUniform } from "../../../helpers/tiny-bundle";

const kinds: GemmKind[] = ["simd", "relaxed"];
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.each(kinds)("encoder ops (%s module)", (kind) => {
  it.each([
    [2, 16],
    [3, 14],
    [2, 5],
    [4, 1],
    [1, 8],
  ])("unfolds G=%i patches of P=%i as the conv weight's [3][P][P]", async (G, P) => {
    const g = await loadInt8Gemm(kind);
    const S = G * P;
    const pixels = seededUniform(3 * S * S, S);
    const K = 3 * P * P;
    const want = new Float32Array(G * G * K);
    for (let gy = 0; gy < G; gy++) {
      for (let gx = 0; gx < G; gx++) {
        let o = (gy * G + gx) * K;
        for (let c = 0; c < 3; c++) {
          for (let i = 0; i < P; i++) {
            const from = c * S * S + (gy * P + i) * S + gx * P;
            for (let j = 0; j < P; j++) want[o + j] = pixels[from + j]!;
            o += P;
          }
        }
      }
    }
    const out = g.alloc(G * G * K * 4 + 16);
    g.write(out + G * G * K * 4, new Float32Array([7, 7, 7, 7]));
    g.unfoldPatchesAt(g.floats(pixels), S, P, G, out);
    expect(bits(g.read(out, G * G * K))).toEqual(bits(want));
    // nothing written past the end
    expect(Array.from(g.read(out + G * G * K * 4, 4))).toEqual([7, 7, 7, 7]);
    expect(() => g.unfoldPatchesAt(0, S + 1, P, G, out)).toThrow(/patches/);
  });

  it.each([1, 3, 4, 7, 197 * 16 + 2])("adds %i floats in place with JS's float32 add bits", async (count) => {
    const g = await loadInt8Gemm(kind);
    const x = seededUniform(count, count, -1e3, 1e3);
    const y = seededUniform(count, count + 1, -1e-3, 1e-3);
    const want = Float32Array.from(x, (v, i) => v + y[i]!);
    const xp = g.floats(x);
    g.addAt(xp, g.floats(y), count, "test");
    expect(bits(g.read(xp, count))).toEqual(bits(want));
  });

  it.each([
    [1, 512],
    [3, 7],
    [4, 5],
    [5, 512],
    [9, 2],
    [196, 512],
  ])("L2-normalises %i rows of %i floats with the bits of the float64-sum TypeScript", async (rows, width) => {
    const g = await loadInt8Gemm(kind);
    const x = seededUniform(rows * width, rows * 100 + width, -2, 3);
    const want = x.slice();
    for (let r = 0; r < want.length; r += width) {
      let s = 0;
      for (let i = r; i < r + width; i++) s += want[i]! * want[i]!;
      const n = Math.fround(Math.sqrt(s));
      for (let i = r; i < r + width; i++) want[i] = want[i]! / n;
    }
    const xp = g.floats(x);
    g.l2NormalizeRowsAt(xp, rows, width);
    expect(bits(g.read(xp, rows * width))).toEqual(bits(want));
  });
});
