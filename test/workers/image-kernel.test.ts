// The resize's SIMD kernel as the service loads it in workerd (the module wrangler compiled): it instantiates, and its
// bytes are the JS passes' (checked against Pillow's loops in the unit tests).
import { describe, expect, it } from "vitest";
import { resamplePil } from "../../src/engine/image/resize-pil";
import { imageKernel, imageKernelBytes } from "../../src/platform/image-wasm";

function noise(length: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length }, (_, i) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (i >> 4) % 5 === 0 ? (s >>> 31) * 255 : s >>> 24;
  });
}

describe("resample kernel in workerd", () => {
  it("instantiates from the imported module and gives the JS passes' bytes", () => {
    const kernel = imageKernel();
    expect(kernel).toBeDefined();
    for (const [w, h, ch, outW, outH] of [
      [900, 700, 3, 224, 224],
      [37, 23, 3, 11, 29],
      [101, 77, 1, 336, 336],
      [9, 13, 4, 20, 3],
    ] as const) {
      const src = noise(w * h * ch, w * 131 + h);
      const js = resamplePil(src, w, h, ch, outW, outH, "bicubic");
      const simd = resamplePil(src, w, h, ch, outW, outH, "bicubic", undefined, kernel);
      expect(simd.length).toBe(js.length);
      expect(simd.findIndex((v, i) => v !== js[i])).toBe(-1);
    }
    expect(imageKernelBytes()).toBeGreaterThan(0);
  });
});
