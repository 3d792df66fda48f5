// The model input tensor and the evaluation mask transform.
import { describe, expect, it } from "vitest";
import type { DecodedImage } from "../../../../src/engine/image/decoded-image";
import { resizeMaskBilinear } from "../../../../src/engine/image/mask";
import { CLIP_MEAN, CLIP_STD, preprocess } from "../../../../src/engine/image/preprocess";

const f = Math.fround;
const normalized = (v: number, c: number) => f(f(f(v / 255) - f(CLIP_MEAN[c]!)) / f(CLIP_STD[c]!));

describe("preprocess", () => {
  it("gives [3, S, S] channel-major, /255 then normalised in float32", () => {
    const data = new Uint8Array(10 * 6 * 3);
    for (let i = 0; i < 60; i++) data.set([255, 0, 128], i * 3);
    const out = preprocess({ width: 10, height: 6, channels: 3, mode: "RGB", data }, 4);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(3 * 16);
    expect(out.subarray(0, 16).every((v) => v === normalized(255, 0))).toBe(true);
    expect(out.subarray(16, 32).every((v) => v === normalized(0, 1))).toBe(true);
    expect(out.subarray(32, 48).every((v) => v === normalized(128, 2))).toBe(true);
  });

  it("replicates grayscale to three channels after resizing", () => {
    const data = Uint8Array.from({ length: 9 * 7 }, (_, i) => (i * 29) & 255);
    const gray: DecodedImage = { width: 9, height: 7, channels: 1, mode: "L", data };
    const rgb: DecodedImage = { ...gray, channels: 3, mode: "RGB", data: Uint8Array.from(Array.from(data).flatMap((v) => [v, v, v])) };
    const a = preprocess(gray, 5, [0, 0, 0], [1, 1, 1]);
    const b = preprocess(rgb, 5, [0, 0, 0], [1, 1, 1]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a.subarray(0, 25))).toEqual(Array.from(a.subarray(25, 50)));
  });
});

describe("resizeMaskBilinear", () => {
  const mask = (v: number): DecodedImage => ({ width: 13, height: 9, channels: 1, mode: "L", data: new Uint8Array(117).fill(v) });

  it("thresholds the bilinear resize at > 0.5 (v >= 128)", () => {
    expect(resizeMaskBilinear(mask(255), 8).every((v) => v === 1)).toBe(true);
    expect(resizeMaskBilinear(mask(128), 8).every((v) => v === 1)).toBe(true);
    expect(resizeMaskBilinear(mask(127), 8).every((v) => v === 0)).toBe(true);
    expect(resizeMaskBilinear(mask(0), 8).length).toBe(64);
  });

  it("keeps a half-covered mask half covered", () => {
    const data = new Uint8Array(8 * 8);
    for (let y = 0; y < 8; y++) data.fill(255, y * 8, y * 8 + 4);
    const out = resizeMaskBilinear({ width: 8, height: 8, channels: 1, mode: "L", data }, 4);
    expect(Array.from(out)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
  });
});
