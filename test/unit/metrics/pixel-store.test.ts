// PixelScoreStore: streamed maps give the same metrics as the whole arrays at once, across buffer growth.
import { describe, expect, it } from "vitest";
import { auproScore } from "../../../src/metrics/aupro";
import { rankingMetricsOf } from "../../../src/metrics/classification";
import { PixelScoreStore } from "../../../src/metrics/pixel-store";

const W = 10;
const H = 8;

function images(): { map: Float32Array; mask: Uint8Array | null }[] {
  let seed = 99;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const map = () => Float32Array.from({ length: W * H }, () => Math.round(rand() * 50) / 10);
  const box = (mask: Uint8Array, x0: number, y0: number, w: number, h: number) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) mask[y * W + x] = 1;
    return mask;
  };
  return [
    { map: map(), mask: box(box(new Uint8Array(W * H), 0, 0, 2, 2), 5, 4, 4, 3) }, // two regions, areas 4 and 12
    { map: map(), mask: null },
    { map: map(), mask: box(new Uint8Array(W * H), 3, 1, 1, 5) },
    { map: map(), mask: new Uint8Array(W * H) },
  ];
}

describe("PixelScoreStore", () => {
  it("matches the metrics of the concatenated maps, also after growing past its capacity hint", () => {
    const list = images();
    const store = new PixelScoreStore(W, H, 1);
    for (const { map, mask } of list) store.add(map, mask);
    const maps = new Float32Array(list.length * W * H);
    const masks = new Uint8Array(list.length * W * H);
    list.forEach(({ map, mask }, i) => {
      maps.set(map, i * W * H);
      if (mask) masks.set(mask, i * W * H);
    });
    const m = store.metrics();
    const direct = rankingMetricsOf(masks, maps);
    expect(m.auroc).toBeCloseTo(direct.auroc, 14);
    expect(m.ap).toBeCloseTo(direct.ap, 14);
    expect(m.f1Max).toBeCloseTo(direct.f1Max, 14);
    expect(m.aupro).toBeCloseTo(auproScore(masks, maps, W, H), 12);
    expect(m.aupro).toBeGreaterThan(0);
    expect([m.pixels, m.positives, store.images]).toEqual([list.length * W * H, 4 + 12 + 5, 4]);
  });

  it("is sealed by metrics() and rejects NaN and wrong sizes", () => {
    const store = new PixelScoreStore(W, H);
    expect(() => store.add(new Float32Array(W * H).fill(NaN), null)).toThrow(/NaN/);
    expect(() => store.add(new Float32Array(3), null)).toThrow(RangeError);
    store.add(new Float32Array(W * H), null);
    const m = store.metrics();
    expect([m.auroc, m.aupro]).toEqual([NaN, NaN]);
    expect(() => store.add(new Float32Array(W * H), null)).toThrow(/already/);
    expect(() => store.metrics()).toThrow();
  });
});
