// Decoding PNGs into a reused scratch buffer: same pixels as a fresh decode, the buffer kept within its byte bound.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../../src/engine/image/decode";
import { CLIP_MEAN, CLIP_STD, preprocess } from "../../../../src/engine/image/preprocess";
import { ScratchBytes } from "../../../../src/engine/image/scratch-bytes";

function png(width: number, height: number, channels: 1 | 3 | 4, seed: number): Uint8Array {
  const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 131 + seed * 17 + ((i / width) | 0) * 7) & 255);
  return encode({ width, height, data, channels, depth: 8 });
}

describe("decodeImage with a scratch buffer", () => {
  it("gives the same pixels as a fresh decode, image after image (growing and shrinking)", () => {
    const scratch = new ScratchBytes(1 << 20);
    for (const [w, h, c, seed] of [
      [30, 20, 3, 1],
      [64, 64, 3, 2],
      [10, 7, 1, 3],
      [50, 40, 4, 4],
      [64, 64, 3, 5],
    ] as const) {
      const bytes = png(w, h, c, seed);
      const fresh = decodeImage(bytes, { maxPixels: 1e6 });
      const reused = decodeImage(bytes, { maxPixels: 1e6, scratch });
      expect(reused.width).toBe(w);
      expect(Buffer.from(reused.data).equals(Buffer.from(fresh.data))).toBe(true);
      expect(reused.alpha === undefined).toBe(fresh.alpha === undefined);
    }
    expect(scratch.retainedBytes).toBeLessThanOrEqual(1 << 20);
  });

  it("never keeps more than its bound: larger inputs get their own array", () => {
    const scratch = new ScratchBytes(1000);
    const bytes = png(64, 64, 3, 9);
    expect(Buffer.from(decodeImage(bytes, { maxPixels: 1e6, scratch }).data).equals(Buffer.from(decodeImage(bytes, { maxPixels: 1e6 }).data))).toBe(true);
    expect(scratch.retainedBytes).toBe(0);
    const first = scratch.take(900);
    expect(first.length).toBe(900);
    expect(scratch.take(600).buffer).toBe(first.buffer);
    expect(scratch.take(1001).buffer).not.toBe(first.buffer);
    expect(scratch.retainedBytes).toBeLessThanOrEqual(1000);
  });
});

describe("preprocess with reused buffers", () => {
  it("gives the same tensor as fresh arrays, image after image, real PNGs from ../shared included", () => {
    const scratch = { horizontal: new ScratchBytes(1 << 22), vertical: new ScratchBytes(1 << 20) };
    const inputs = [
      png(30, 20, 3, 1),
      readFileSync(join(__dirname, "../../../../../shared/data/mvtec/bottle/test/good/000.png")),
      png(10, 7, 1, 3),
      png(64, 64, 3, 5),
      readFileSync(join(__dirname, "../../../../../shared/data/mvtec/bottle/test/good/001.png")),
    ];
    for (const size of [32, 224]) {
      const out = new Float32Array(3 * size * size);
      for (const bytes of inputs) {
        const decoded = decodeImage(new Uint8Array(bytes), { maxPixels: 1e7 });
        const fresh = preprocess(decoded, size);
        const reused = preprocess(decoded, size, CLIP_MEAN, CLIP_STD, { scratch, out });
        expect(reused).toBe(out);
        expect(Buffer.from(reused.buffer).equals(Buffer.from(fresh.buffer))).toBe(true);
      }
    }
    expect(scratch.horizontal.retainedBytes).toBeLessThanOrEqual(1 << 22);
    expect(() => preprocess(decodeImage(png(8, 8, 3, 1), { maxPixels: 1e6 }), 4, CLIP_MEAN, CLIP_STD, { out: new Float32Array(5) })).toThrow(RangeError);
  });
});
