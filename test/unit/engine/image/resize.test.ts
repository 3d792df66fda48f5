// Pillow-compatible resizing: hand-computed values, invariants, and the per-mode paths.
import { describe, expect, it } from "vitest";
import type { DecodedImage } from "../../../../src/engine/image/decoded-image";
import { resizeImage } from "../../../../src/engine/image/resize-image";
import { precomputeCoeffs, resamplePil } from "../../../../src/engine/image/resize-pil";

/**
 * Pillow's ImagingResampleHorizontal_8bpc / Vertical_8bpc as written in Resample.c: per output sample, an int32 sum
 * from 1 << 21 over the taps, then clip8. Horizontal first into an 8-bit image of the rows the vertical pass reads.
 */
function plainResample(src: Uint8Array, w: number, h: number, ch: number, outW: number, outH: number, filter: "bicubic" | "bilinear"): Uint8Array {
  const clip8 = (ss: number) => Math.max(0, Math.min(255, ss >> 22));
  let img = src;
  let iw = w;
  let ih = h;
  let shift = 0;
  const vert = precomputeCoeffs(h, outH, filter);
  if (outW !== w) {
    const hc = precomputeCoeffs(w, outW, filter);
    const first = outH !== h ? vert.bounds[0]! : 0;
    const last = outH !== h ? vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]! : h;
    const out = new Uint8Array(outW * (last - first) * ch);
    for (let y = first; y < last; y++) {
      for (let xx = 0; xx < outW; xx++) {
        for (let c = 0; c < ch; c++) {
          let ss = 1 << 21;
          for (let x = 0; x < hc.bounds[xx * 2 + 1]!; x++) ss = (ss + src[(y * w + hc.bounds[xx * 2]! + x) * ch + c]! * hc.weights[xx * hc.ksize + x]!) | 0;
          out[((y - first) * outW + xx) * ch + c] = clip8(ss);
        }
      }
    }
    img = out;
    iw = outW;
    ih = last - first;
    shift = first;
  }
  if (outH === h) return img === src ? src.slice() : img;
  const out = new Uint8Array(iw * outH * ch);
  for (let yy = 0; yy < outH; yy++) {
    for (let i = 0; i < iw * ch; i++) {
      let ss = 1 << 21;
      for (let y = 0; y < vert.bounds[yy * 2 + 1]!; y++)
        ss = (ss + img[(vert.bounds[yy * 2]! - shift + y) * iw * ch + i]! * vert.weights[yy * vert.ksize + y]!) | 0;
      out[yy * iw * ch + i] = clip8(ss);
    }
  }
  expect(ih).toBeGreaterThan(0);
  return out;
}

describe("resamplePil", () => {
  it.each([
    [900, 900, 3, 224, 224, "bicubic"],
    [37, 23, 3, 11, 29, "bicubic"],
    [17, 31, 1, 5, 7, "bilinear"],
    [9, 13, 4, 20, 3, "bicubic"],
    [64, 1, 3, 7, 1, "bicubic"],
    [5, 40, 2, 5, 9, "bicubic"],
  ] as const)("matches Pillow's per-sample loops: %ix%i, %i channels -> %ix%i %s", (w, h, ch, outW, outH, filter) => {
    let s = w * 131 + h;
    // Noise with saturated runs, so both clip8 edges and the negative lobes are exercised.
    const src = Uint8Array.from({ length: w * h * ch }, (_, i) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (i >> 4) % 5 === 0 ? (s >>> 31) * 255 : s >>> 24;
    });
    expect(Buffer.from(resamplePil(src, w, h, ch, outW, outH, filter)).equals(Buffer.from(plainResample(src, w, h, ch, outW, outH, filter)))).toBe(true);
  });

  it("matches hand-computed 4 -> 2 bicubic values", () => {
    // scale 2 -> support 4; output 0: centre 1, taps x = 0..3 at distances (x - 0.5) / 2:
    // bicubic(.25) = .8671875, (.25) .8671875, (.75) .2265625, (1.25) -.0703125 -> /1.890625 =
    // 111/242, 111/242, 29/242, -9/242. [10,20,30,40] -> 3840/242 = 15.87 -> 16;
    // output 1 mirrors: (-9*10 + 29*20 + 111*30 + 111*40)/242 = 34.13 -> 34.
    expect(Array.from(resamplePil(Uint8Array.from([10, 20, 30, 40]), 4, 1, 1, 2, 1, "bicubic"))).toEqual([16, 34]);
    const c = precomputeCoeffs(4, 2, "bicubic");
    expect(Array.from(c.bounds)).toEqual([0, 4, 0, 4]);
    const fixed = (num: number) => Math.trunc((num / 242) * 2 ** 22 + (num < 0 ? -0.5 : 0.5));
    expect(Array.from(c.weights.subarray(0, 4))).toEqual([111, 111, 29, -9].map(fixed));
  });

  it("matches hand-computed 4 -> 2 bilinear values", () => {
    // support 2; output 0 taps 0..2 weights .75 .75 .25 (/1.75): (30+60+30)/7 = 17.14 -> 17;
    // output 1 taps 1..3 weights .25 .75 .75: (20+90+120)/7 = 32.86 -> 33.
    expect(Array.from(resamplePil(Uint8Array.from([10, 20, 30, 40]), 4, 1, 1, 2, 1, "bilinear"))).toEqual([17, 33]);
  });

  it("is separable: a column resizes like the same row", () => {
    const line = Uint8Array.from([0, 255, 3, 90, 200, 17, 64]);
    const asRow = resamplePil(line, 7, 1, 1, 3, 1, "bicubic");
    const asCol = resamplePil(line, 1, 7, 1, 1, 3, "bicubic");
    expect(Array.from(asCol)).toEqual(Array.from(asRow));
  });

  it("keeps a constant image constant (down and up, 1 and 3 channels)", () => {
    for (const channels of [1, 3]) {
      const src = new Uint8Array(37 * 23 * channels).fill(201);
      for (const [w, h] of [
        [10, 10],
        [100, 7],
        [37, 50],
      ]) {
        const out = resamplePil(src, 37, 23, channels, w!, h!, "bicubic");
        expect(out.length).toBe(w! * h! * channels);
        expect(out.every((v) => v === 201)).toBe(true);
      }
    }
  });

  it("returns the same pixels at the same size", () => {
    const src = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 53) & 255);
    const out = resamplePil(src, 5, 4, 3, 5, 4, "bicubic");
    expect(Array.from(out)).toEqual(Array.from(src));
    expect(out).not.toBe(src);
  });

  it("saturates overshoot to 0..255", () => {
    const out = resamplePil(Uint8Array.from([0, 0, 255, 255]), 4, 1, 1, 8, 1, "bicubic");
    expect(Math.min(...out)).toBe(0);
    expect(Math.max(...out)).toBe(255);
  });
});

describe("resizeImage (per PIL mode)", () => {
  const img = (over: Partial<DecodedImage>): DecodedImage => ({
    width: 2,
    height: 1,
    channels: 3,
    mode: "RGB",
    data: new Uint8Array(6),
    ...over,
  });

  it("resizes RGBA premultiplied: a transparent pixel's colour does not bleed", () => {
    // red at alpha 0 next to opaque blue; 2 -> 1 bilinear averages RGBa (0,0,128,128) -> (0,0,255)
    const rgba = img({ mode: "RGBA", data: Uint8Array.from([255, 0, 0, 0, 0, 255]), alpha: Uint8Array.from([0, 255]) });
    expect(Array.from(resizeImage(rgba, 1, 1, "bilinear"))).toEqual([0, 0, 255]);
    const plain = img({ data: Uint8Array.from([255, 0, 0, 0, 0, 255]) });
    expect(Array.from(resizeImage(plain, 1, 1, "bilinear"))).toEqual([128, 0, 128]);
  });

  it("resizes palette (P) and 1-bit images with NEAREST, as Image.resize does", () => {
    const p = img({ width: 4, mode: "P", data: Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]) });
    expect(Array.from(resizeImage(p, 2, 1, "bicubic"))).toEqual([2, 2, 2, 4, 4, 4]);
    const bits = img({ width: 4, channels: 1, mode: "1", data: Uint8Array.from([0, 255, 0, 255]) });
    expect(Array.from(resizeImage(bits, 2, 1, "bicubic"))).toEqual([255, 255]);
  });
});
