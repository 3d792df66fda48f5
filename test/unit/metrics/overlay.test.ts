// The eval report's overlay PNG: S x S RGB, jet over the image, ground-truth outline in white.
import { decode } from "fast-png";
import { describe, expect, it } from "vitest";
import { jet, overlayPng } from "../../../src/evaluation/overlay";

describe("overlayPng", () => {
  it("blends the per-image normalised map in jet and outlines the mask", () => {
    const image = { width: 16, height: 16, channels: 1 as const, data: new Uint8Array(256).fill(100), mode: "L" as const };
    const map = Float32Array.from({ length: 64 }, (_, i) => i % 8); // 8 x 8: 0 at the left edge, max at the right
    const mask = new Uint8Array(64);
    for (const i of [27, 28, 35, 36, 43, 44]) mask[i] = 1; // a 2 x 3 block: every pixel is on its border
    const png = decode(overlayPng(image, map, 8, mask));
    expect([png.width, png.height, png.channels]).toEqual([8, 8, 3]);
    const px = (i: number) => Array.from(png.data.slice(i * 3, i * 3 + 3));
    expect(px(0)).toEqual(jet(0).map((c) => Math.floor(0.5 * 100 + 0.5 * c)));
    expect(px(7)).toEqual(jet(1).map((c) => Math.floor(0.5 * 100 + 0.5 * c)));
    expect(px(28)).toEqual([255, 255, 255]);
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(1)).toEqual([128, 0, 0]);
  });
});
