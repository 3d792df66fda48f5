// The SIMD kernel's PNG unfiltering against the JS loops (themselves checked against fast-png in png-unfilter.test.ts).
import { describe, expect, it } from "vitest";
import { nodeImageKernel, nodeImageModule } from "../../../../src/bench/image-kernel-node";
import { ImageError } from "../../../../src/engine/image/image-error";
import type { PngHeader } from "../../../../src/engine/image/png-header";
import { type UnfilterKernel, unfilterScanlines } from "../../../../src/engine/image/png-unfilter";
import { WasmImageKernel } from "../../../../src/engine/wasm/image-kernel";

/** Rows of noise and smooth runs behind filter bytes: row y gets filters[y % filters.length]. */
function filteredRows(width: number, height: number, bpp: number, filters: readonly number[], seed: number): Uint8Array {
  const stride = width * bpp;
  const raw = new Uint8Array(height * (stride + 1));
  let s = seed;
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = filters[y % filters.length]!;
    for (let i = 1; i <= stride; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      raw[y * (stride + 1) + i] = (i >> 3) % 3 === 0 ? s >>> 24 : (y + i) & 7;
    }
  }
  return raw;
}

const header = (width: number, height: number, colorType: 2 | 6): PngHeader => ({ width, height, bitDepth: 8, colorType, interlace: 0 }) as PngHeader;

describe("WasmImageKernel.unfilter", () => {
  const kernel = nodeImageKernel();

  it.each([
    [1, 1, 2],
    [5, 3, 2],
    [17, 11, 2],
    [900, 40, 2],
    [1, 9, 6],
    [13, 7, 6],
    [301, 23, 6],
  ] as const)("gives the JS loops' bytes: %ix%i, colour type %i, every filter on every row position", (width, height, colorType) => {
    const bpp = colorType === 2 ? 3 : 4;
    const h = header(width, height, colorType);
    for (const filters of [[0, 1, 2, 3, 4], [4], [3], [2], [1], [4, 4, 3, 1, 2, 0]]) {
      for (let first = 0; first < filters.length; first++) {
        const rotated = [...filters.slice(first), ...filters.slice(0, first)];
        const raw = filteredRows(width, height, bpp, rotated, width * 7 + height + first);
        let ran = false;
        const counted: UnfilterKernel = {
          unfilter: (...args) => {
            const r = kernel.unfilter(...args);
            ran = r === -1;
            return r;
          },
        };
        const js = unfilterScanlines(raw.slice(), h) as Uint8Array;
        const simd = unfilterScanlines(raw.slice(), h, counted) as Uint8Array;
        expect(ran).toBe(true);
        expect(simd.length).toBe(js.length);
        expect(
          simd.findIndex((v, i) => v !== js[i]),
          `filters ${rotated}`,
        ).toBe(-1);
      }
    }
  });

  it("works in bands of rows (a band boundary on every filter type) and keeps only a band in its memory", () => {
    const fresh = new WasmImageKernel(nodeImageModule());
    for (const [width, height, colorType] of [
      [2000, 700, 2],
      [1500, 511, 6],
    ] as const) {
      const h = header(width, height, colorType);
      const raw = filteredRows(width, height, colorType === 2 ? 3 : 4, [4, 2, 3, 4, 1, 0, 4], width + height);
      const js = unfilterScanlines(raw.slice(), h) as Uint8Array;
      const simd = unfilterScanlines(raw.slice(), h, fresh) as Uint8Array;
      expect(simd.findIndex((v, i) => v !== js[i])).toBe(-1);
    }
    expect(fresh.memoryBytes).toBeLessThan(2 * 2 ** 20); // the images were 4.2 and 3.1 MB
  });

  it("names the same row and filter type as the JS loops for an unknown filter type", () => {
    const raw = filteredRows(20, 6, 3, [4, 1, 2], 3);
    raw[4 * (20 * 3 + 1)] = 7;
    // and in a later band of a tall image: the row number counts from the image's top
    const tall = filteredRows(3000, 1000, 3, [4, 1, 2], 5);
    tall[777 * (3000 * 3 + 1)] = 9;
    expect(() => unfilterScanlines(tall.slice(), header(3000, 1000, 2), kernel)).toThrow("corrupt PNG: unknown filter type 9 on row 777");
    expect(() => unfilterScanlines(tall.slice(), header(3000, 1000, 2))).toThrow("corrupt PNG: unknown filter type 9 on row 777");
    const message = (k?: UnfilterKernel) => {
      try {
        unfilterScanlines(raw.slice(), header(20, 6, 2), k);
      } catch (err) {
        expect(err).toBeInstanceOf(ImageError);
        return (err as ImageError).message;
      }
      return "no error";
    };
    expect(message(kernel)).toBe("corrupt PNG: unknown filter type 7 on row 4");
    expect(message()).toBe(message(kernel));
  });

  it("declines other pixel sizes (the JS loops run)", () => {
    expect(kernel.unfilter(new Uint8Array(3 * 5), 3, 4, 1)).toBeUndefined();
    expect(kernel.unfilter(new Uint8Array(3 * 9), 3, 8, 2)).toBeUndefined();
  });
});
