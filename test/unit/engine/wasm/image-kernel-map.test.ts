// The SIMD kernel's map PNG scanlines against the JS loops (themselves checked against resize-then-encode in
// map-png-stream.test.ts): the same PNG bytes, so the same scanlines, on odd sizes, tails and edge values.
import { inflateSync } from "node:zlib";
import { decode } from "fast-png";
import { describe, expect, it } from "vitest";
import { nodeImageKernel } from "../../../../src/bench/image-kernel-node";
import { encodeResizedMapPng, type MapPngKernel } from "../../../../src/engine/anomaly/map-png-stream";
import { cachedAxisPlan } from "../../../../src/engine/anomaly/upsample";
import { adler32, zlibBound, zlibCompress } from "../../../../src/engine/image/deflate";

function randomMap(size: number, seed: number, lo = -0.5, span = 3): Float32Array {
  let s = seed;
  return Float32Array.from({ length: size * size }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + (s / 2 ** 32) * span;
  });
}

/** Counts the kernel's calls, so a test knows the kernel did the work (it may decline). */
function countingKernel(): { kernel: MapPngKernel; calls: () => number; blocks: () => number } {
  let calls = 0;
  let blocks = 0;
  const inner = nodeImageKernel();
  return {
    kernel: {
      mapScanlines: (map, size, width, height, px, py, scale) => {
        const out = inner.mapScanlines(map, size, width, height, px, py, scale);
        if (out) calls++;
        return out;
      },
      deflateStart: (data) => inner.deflateStart(data),
      deflateAdler: () => inner.deflateAdler(),
      deflateWrite: (...args) => inner.deflateWrite(...args),
      deflateBlock: (from, litFreq, distFreq) => {
        blocks++;
        return inner.deflateBlock(from, litFreq, distFreq);
      },
    },
    calls: () => calls,
    blocks: () => blocks,
  };
}

describe("image kernel: map PNG scanlines", () => {
  it.each([
    [8, 8, 8, 2.5],
    [8, 13, 5, 2.5],
    [14, 900, 600, 1.7],
    [7, 1, 1, 1],
    [5, 3, 40, 0.9],
    [224, 15, 17, 2],
    [224, 16, 9, 2],
    [224, 17, 33, 2],
    [224, 900, 900, 2.1],
    [336, 1023, 601, 2],
    [224, 224, 224, 2.5],
    [518, 1024, 1024, 2],
  ])("gives the JS loops' PNG bytes for a %i map to %ix%i (max %f)", (size, width, height, max) => {
    const map = randomMap(size, size * 31 + width);
    map[3] = Number.NaN;
    map[size + 1] = Number.POSITIVE_INFINITY;
    map[map.length - 1] = Number.NEGATIVE_INFINITY;
    const { kernel, calls, blocks } = countingKernel();
    const simd = encodeResizedMapPng(map, size, width, height, max, kernel);
    expect(calls()).toBe(1);
    expect(blocks()).toBeGreaterThan(0);
    const js = encodeResizedMapPng(map, size, width, height, max);
    expect(Buffer.from(simd).equals(Buffer.from(js))).toBe(true);
    expect(decode(simd).width).toBe(width);
  });

  it("rounds the half-way points and clamps as the JS loops do (values passed through unresized, rows of 16 and a tail)", () => {
    const values = [
      0.5,
      1.5,
      2.5,
      254.5,
      0.49999997,
      1.4999999,
      254.49998,
      255,
      300,
      -1,
      0,
      3.5,
      1e-30,
      127.5,
      128.5,
      254.5001,
      -0,
      0.5000001,
      253.5,
      2 ** -149,
    ];
    const size = 20;
    const map = Float32Array.from({ length: size * size }, (_, i) => values[(i * 7) % values.length]!);
    const { kernel, calls } = countingKernel();
    const simd = encodeResizedMapPng(map, size, size, size, 255, kernel);
    const js = encodeResizedMapPng(map, size, size, size, 255);
    expect(calls()).toBe(1);
    expect(Buffer.from(simd).equals(Buffer.from(js))).toBe(true);
    expect(Array.from(decode(simd).data)).toEqual(Array.from(map, (v) => (v >= 255 ? 255 : v > 0 ? Math.round(v) : 0)));
  });

  it("writes black for a non-positive or non-finite max as the JS loops do", () => {
    const map = randomMap(14, 9);
    for (const max of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const simd = encodeResizedMapPng(map, 14, 37, 21, max, nodeImageKernel());
      expect(Buffer.from(simd).equals(Buffer.from(encodeResizedMapPng(map, 14, 37, 21, max)))).toBe(true);
      expect(decode(simd).data.every((v) => v === 0)).toBe(true);
    }
  });

  it("keeps each map's pixels across calls (the scanlines are a view of the kernel's memory, used before returning)", () => {
    const maps = [0, 1, 2].map((k) => randomMap(14, 100 + k));
    const pngs = maps.map((m, k) => encodeResizedMapPng(m, 14, 333 + k, 250, 2, nodeImageKernel()));
    pngs.forEach((png, k) => {
      expect(Buffer.from(png).equals(Buffer.from(encodeResizedMapPng(maps[k]!, 14, 333 + k, 250, 2)))).toBe(true);
    });
  });

  it("declines plans that do not fit the sizes (the JS loops run)", () => {
    const map = randomMap(8, 1);
    const px = cachedAxisPlan(8, 10, false);
    const py = cachedAxisPlan(8, 12, false);
    expect(nodeImageKernel().mapScanlines(map, 8, 11, 12, px, py, 1)).toBeUndefined();
    expect(nodeImageKernel().mapScanlines(map, 7, 10, 12, px, py, 1)).toBeUndefined();
    expect(nodeImageKernel().mapScanlines(map, 8, 10, 12, px, py, 1)?.length).toBe(12 * 11);
  });

  it("compresses any bytes as the JS match search does (copied into the kernel; several blocks, every small size)", () => {
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const inputs = [
      ...[0, 1, 2, 3, 4, 5, 8, 9, 17, 258, 259, 1000].map((n) => Uint8Array.from({ length: n }, (_, i) => (i % 7 < 3 ? next() : i & 3))),
      Uint8Array.from({ length: 300_000 }, next),
      Uint8Array.from({ length: 200_000 }, (_, i) => (i % 5000 < 2500 ? next() >> 6 : (i * 7) % 13)),
      new Uint8Array(70_001).fill(42),
    ];
    for (const data of inputs) {
      const js = new Uint8Array(zlibBound(data.length));
      const simd = new Uint8Array(zlibBound(data.length));
      const nJs = zlibCompress(data, js);
      const { kernel, blocks } = countingKernel();
      const nSimd = zlibCompress(data, simd, kernel);
      expect(blocks()).toBeGreaterThan(0);
      expect(Buffer.from(simd.subarray(0, nSimd)).equals(Buffer.from(js.subarray(0, nJs)))).toBe(true);
      expect(Buffer.from(inflateSync(simd.subarray(0, nSimd))).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("gives adler32's checksum of the started stream (sums reduced every 5552 bytes; all-255 bytes, the largest sums)", () => {
    const k = nodeImageKernel();
    for (const data of [
      new Uint8Array(0),
      new Uint8Array([1]),
      new Uint8Array(100_000).fill(255),
      Uint8Array.from({ length: 77_777 }, (_, i) => (i * 131) & 255),
    ]) {
      expect(k.deflateStart(data)).toBe(true);
      expect(k.deflateAdler()).toBe(adler32(data));
    }
  });
});
