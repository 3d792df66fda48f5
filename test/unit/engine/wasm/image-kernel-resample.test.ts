// The SIMD resample kernel against the JS passes (themselves checked against Pillow's loops in resize.test.ts).
import { describe, expect, it } from "vitest";
import { nodeImageKernel, nodeImageModule } from "../../../../src/bench/image-kernel-node";
import { precomputeCoeffs, type ResampleKernel, resamplePil } from "../../../../src/engine/image/resize-pil";
import { WasmImageKernel } from "../../../../src/engine/wasm/image-kernel";

function noise(length: number, seed: number): Uint8Array {
  let s = seed;
  // Saturated runs as well as noise, so both clip8 edges and the negative lobes are exercised.
  return Uint8Array.from({ length }, (_, i) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (i >> 4) % 5 === 0 ? (s >>> 31) * 255 : s >>> 24;
  });
}

describe("WasmImageKernel", () => {
  const kernel = nodeImageKernel();

  it.each([
    [900, 900, 3, 224, 224, "bicubic"],
    [900, 600, 3, 336, 336, "bicubic"],
    [37, 23, 3, 11, 29, "bicubic"],
    [17, 31, 1, 5, 7, "bilinear"],
    [101, 77, 1, 224, 224, "bicubic"],
    [9, 13, 4, 20, 3, "bicubic"],
    [64, 1, 3, 7, 1, "bicubic"],
    [1, 64, 3, 1, 7, "bicubic"],
    [3, 2, 3, 518, 518, "bicubic"],
    [1500, 7, 3, 224, 5, "bicubic"],
    [224, 900, 3, 224, 224, "bicubic"],
    [900, 224, 1, 224, 224, "bicubic"],
  ] as const)("gives the JS passes' bytes: %ix%i, %i channels -> %ix%i %s", (w, h, ch, outW, outH, filter) => {
    const src = noise(w * h * ch, w * 131 + h);
    const js = resamplePil(src, w, h, ch, outW, outH, filter);
    let ran = false;
    const counted: ResampleKernel = {
      resample: (...args) => {
        const out = kernel.resample(...args);
        ran = out !== undefined;
        return out;
      },
    };
    const simd = resamplePil(src, w, h, ch, outW, outH, filter, undefined, counted);
    expect(ran).toBe(true);
    expect(simd.length).toBe(js.length);
    const firstDiff = simd.findIndex((v, i) => v !== js[i]);
    expect(firstDiff).toBe(-1);
  });

  it("runs the horizontal pass in bands of source rows (a wide image: a band of a few rows)", () => {
    const w = 40000;
    const src = noise(w * 9 * 3, 7);
    const js = resamplePil(src, w, 9, 3, 224, 4, "bicubic");
    expect(Buffer.from(resamplePil(src, w, 9, 3, 224, 4, "bicubic", undefined, kernel)).equals(Buffer.from(js))).toBe(true);
  });

  it("gives the same bytes when called again after a larger image grew its memory", () => {
    const fresh = new WasmImageKernel(nodeImageModule());
    const small = noise(50 * 40 * 3, 3);
    const expected = resamplePil(small, 50, 40, 3, 13, 17, "bicubic");
    expect(Buffer.from(resamplePil(small, 50, 40, 3, 13, 17, "bicubic", undefined, fresh)).equals(Buffer.from(expected))).toBe(true);
    const before = fresh.memoryBytes;
    resamplePil(noise(1200 * 1100 * 3, 5), 1200, 1100, 3, 224, 224, "bicubic", undefined, fresh);
    expect(fresh.memoryBytes).toBeGreaterThan(before);
    expect(Buffer.from(resamplePil(small, 50, 40, 3, 13, 17, "bicubic", undefined, fresh)).equals(Buffer.from(expected))).toBe(true);
  });

  it("declines what it does not take, and the JS passes run instead", () => {
    const two = noise(30 * 20 * 2, 9);
    expect(kernel.resample(two, 30, 2, 0, 20, 7, 20, undefined, undefined)).toBeUndefined();
    const js = resamplePil(two, 30, 20, 2, 7, 5, "bicubic");
    expect(Buffer.from(resamplePil(two, 30, 20, 2, 7, 5, "bicubic", undefined, kernel)).equals(Buffer.from(js))).toBe(true);
    // Beyond its memory bound: a tall strip's intermediate rows (50,000 x 224 x 3 bytes).
    const tall = noise(2 * 50000 * 3, 11);
    const horizontal = precomputeCoeffs(2, 224, "bicubic");
    const vertical = precomputeCoeffs(50000, 4, "bicubic");
    expect(kernel.resample(tall, 2, 3, 0, 50000, 224, 4, horizontal, vertical)).toBeUndefined();
    expect(
      Buffer.from(resamplePil(tall, 2, 50000, 3, 224, 4, "bicubic", undefined, kernel)).equals(Buffer.from(resamplePil(tall, 2, 50000, 3, 224, 4, "bicubic"))),
    ).toBe(true);
  });
});
