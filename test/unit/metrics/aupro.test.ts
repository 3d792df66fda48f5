// AUPRO (cal_pro_score semantics): thresholds as numpy's arange, a hand-computed two-region case, brute force.
import { describe, expect, it } from "vitest";
import { auproScore, proThresholds } from "../../../src/metrics/aupro";
import { labelRegions } from "../../../src/engine/anomaly/label-regions";

describe("proThresholds", () => {
  it("reproduces np.arange(min, max, (max - min) / 200) on float32 min / max (numpy 2.4 values)", () => {
    const t = proThresholds(Math.fround(0.1), Math.fround(2.7));
    expect(t.length).toBe(200);
    expect([t[1], t[2], t[117], t[199]]).toEqual([0.11300000548362732, 0.12600000947713852, 1.6210004687309265, 2.687000796198845]);
    const u = proThresholds(Math.fround(-2.683257), Math.fround(1.2287141));
    expect(u.length).toBe(201); // float32 range / step rounds above 200
    expect([u[100], u[200]]).toEqual([-0.7272710800170898, 1.228714942932129]);
    expect(proThresholds(1, 1).length).toBe(0);
  });
});

describe("labelRegions", () => {
  it("joins diagonal neighbours (8-connectivity) and labels in raster order", () => {
    // 1 . . 1
    // . 1 . .
    // . . 1 .
    const r = labelRegions(Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0]), 4, 3);
    expect(r.count).toBe(2);
    expect(Array.from(r.areas)).toEqual([3, 1]);
    expect(Array.from(r.pixels)).toEqual([0, 5, 10, 3]);
  });
});

/** Two 4x4 images: A at (0,0) = 1.0, B = {(2,2) 0.6, (3,3) 0.3025} diagonal; negatives 0 except 0.2025 and 0.4025. */
function handCase(): { maps: Float32Array; masks: Uint8Array } {
  const maps = new Float32Array(32);
  const masks = new Uint8Array(32);
  masks[0] = 1;
  maps[0] = 1;
  masks[10] = 1;
  maps[10] = 0.6;
  masks[15] = 1;
  maps[15] = 0.3025;
  maps[5] = 0.2025;
  maps[16 + 7] = 0.4025;
  return { maps, masks };
}

describe("auPro", () => {
  it("integrates the hand-computed curve of two regions", () => {
    // thresholds i * 0.005. FPR (29 negatives): 2/29 up to i = 40, 1/29 to 80, then 0 -> rescaled 1, 0.5, 0.
    // PRO = mean(A, B): A = 1 throughout; B = 1 up to i = 60, then 0.5. At the steps (40|41, 80|81) PRO is 1 and 0.75:
    // area = 0.5 * 1 + 0.5 * 0.75. Were B's diagonal pixels two regions (4-connectivity), it would be 0.5 + 0.5 * 2/3.
    const { maps, masks } = handCase();
    expect(auproScore(masks, maps, 4, 4)).toBeCloseTo(0.875, 12);
  });

  it("is NaN for a constant map, without regions, or without negatives", () => {
    const { maps, masks } = handCase();
    expect(auproScore(masks, new Float32Array(32).fill(0.5), 4, 4)).toBeNaN();
    expect(auproScore(new Uint8Array(32), maps, 4, 4)).toBeNaN();
    expect(auproScore(new Uint8Array(32).fill(1), maps, 4, 4)).toBeNaN();
  });

  it("agrees with a literal transliteration of cal_pro_score on random maps", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const w = 12;
    const h = 9;
    for (let trial = 0; trial < 4; trial++) {
      const n = 3;
      const maps = Float32Array.from({ length: n * w * h }, () => rand() * 3);
      const masks = Uint8Array.from({ length: n * w * h }, (_, i) => (i % (w * h) < w * h * 0.2 && rand() < 0.6 ? 1 : 0));
      expect(auproScore(masks, maps, w, h)).toBeCloseTo(literalProScore(masks, maps, w, h), 12);
    }
  });
});

/** cal_pro_score, loop for loop: per threshold, per image, per region; FPR over all negatives. */
function literalProScore(masks: Uint8Array, maps: Float32Array, w: number, h: number): number {
  const plane = w * h;
  const thresholds = proThresholds(Math.min(...maps), Math.max(...maps));
  const regions = Array.from({ length: masks.length / plane }, (_, k) => {
    const r = labelRegions(masks.subarray(k * plane, (k + 1) * plane), w, h);
    let at = 0;
    return Array.from(r.areas, (a) => {
      const start = at;
      at += a;
      return Array.from(r.pixels.subarray(start, at), (p) => p + k * plane);
    });
  }).flat();
  const negatives = masks.reduce((s, m) => s + (m ? 0 : 1), 0);
  const fprs: number[] = [];
  const pros: number[] = [];
  for (const th of thresholds) {
    let fp = 0;
    for (let i = 0; i < maps.length; i++) if (!masks[i] && maps[i]! > th) fp++;
    const pro = regions.map((px) => px.filter((p) => maps[p]! > th).length / px.length);
    fprs.push(fp / negatives);
    pros.push(pro.reduce((a, b) => a + b, 0) / pro.length);
  }
  const keep = fprs.map((f, i) => [f, pros[i]!] as const).filter(([f]) => f < 0.3);
  const lo = Math.min(...keep.map(([f]) => f));
  const hi = Math.max(...keep.map(([f]) => f));
  let area = 0;
  for (let i = 0; i + 1 < keep.length; i++) {
    const x0 = (keep[i]![0] - lo) / (hi - lo);
    const x1 = (keep[i + 1]![0] - lo) / (hi - lo);
    area += ((x1 - x0) * (keep[i]![1] + keep[i + 1]![1])) / 2;
  }
  return -area;
}
