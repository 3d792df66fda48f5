// The image SIMD kernel as the service loads it in workerd (the module wrangler compiled): it instantiates, and its
// bytes are the JS code's (the resize checked against Pillow's loops, the unfiltering against fast-png, in unit tests).
import { describe, expect, it } from "vitest";
import type { PngHeader } from "../../src/engine/image/png-header";
import { unfilterScanlines } from "../../src/engine/image/png-unfilter";
import { resamplePil } from "../../src/engine/image/resize-pil";
import { encodeResizedMapPng } from "../../src/engine/anomaly/map-png-stream";
import { imageKernel, imageKernelBytes } from "../../src/platform/image-wasm";

function noise(length: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length }, (_, i) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (i >> 4) % 5 === 0 ? (s >>> 31) * 255 : s >>> 24;
  });
}

describe("image kernel in workerd", () => {
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

  it("unfilters PNG rows as the JS loops do (every filter type, bands of rows)", () => {
    const kernel = imageKernel()!;
    for (const [width, height, bpp] of [
      [1200, 600, 3],
      [31, 17, 4],
    ] as const) {
      const stride = width * bpp;
      const raw = noise(height * (stride + 1), width + height);
      for (let y = 0; y < height; y++) raw[y * (stride + 1)] = [4, 2, 3, 4, 1, 0][y % 6]!;
      const h = { width, height, bitDepth: 8, colorType: bpp === 3 ? 2 : 6, interlace: 0 } as PngHeader;
      const js = unfilterScanlines(raw.slice(), h) as Uint8Array;
      const simd = unfilterScanlines(raw.slice(), h, kernel) as Uint8Array;
      expect(simd.findIndex((v, i) => v !== js[i])).toBe(-1);
    }
  });

  it("writes the map PNG's scanlines and finds its matches as the JS code does (the same PNG bytes)", () => {
    const kernel = imageKernel()!;
    for (const [size, width, height] of [
      [224, 900, 900],
      [14, 37, 23],
    ] as const) {
      let s = size + width;
      const map = Float32Array.from({ length: size * size }, () => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return (s / 2 ** 32) * 3 - 0.5;
      });
      map[5] = Number.NaN;
      const simd = encodeResizedMapPng(map, size, width, height, 2, kernel);
      const js = encodeResizedMapPng(map, size, width, height, 2);
      expect(simd.length).toBe(js.length);
      expect(simd.findIndex((v, i) => v !== js[i])).toBe(-1);
    }
  });
});
