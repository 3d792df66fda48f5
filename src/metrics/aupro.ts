// AUPRO as APRIL-GAN's cal_pro_score: 200 thresholds, per-region overlap vs FPR, FPR < 0.3 rescaled to [0, 1].
import { labelRegions } from "../engine/anomaly/label-regions";
import type { ScoreArray } from "./sorted-scores";

/** What the PRO curve needs, in a form a stream of maps can be reduced to (see PixelScoreStore). */
export interface ProData {
  /** Scores of the pixels of every ground-truth region, region after region. */
  regionScores: ScoreArray;
  /** Area of each region, in the order of regionScores. */
  regionAreas: ArrayLike<number>;
  /** Scores of every negative (mask 0) pixel, any order. */
  negatives: ScoreArray;
  /** Minimum and maximum over ALL pixels. */
  min: number;
  max: number;
}

export interface ProOptions {
  /** Default 200 (max_step). */
  maxStep?: number;
  /** Points with FPR < expectFpr are kept; default 0.3. */
  expectFpr?: number;
  /**
   * Compare map values with the thresholds rounded to float32, as numpy 1.x's value-based casting does for
   * `float32_array > float64_scalar`. Default false: numpy 2 compares in float64.
   */
  float32Compare?: boolean;
}

export interface ProCurve {
  thresholds: Float64Array;
  fpr: Float64Array;
  /** Mean over regions of the fraction of the region above the threshold (NaN without regions). */
  pro: Float64Array;
}

/**
 * `np.arange(min, max, (max - min) / maxStep)` on float32 min/max: step and length are float32 arithmetic,
 * the second value is float32 `min + step`, the rest numpy's fill `start + i * (second - start)` in float64.
 * Empty when max == min (numpy would raise on the zero step).
 */
export function proThresholds(min: number, max: number, maxStep = 200): Float64Array {
  const f = Math.fround;
  const lo = f(min);
  const range = f(f(max) - lo);
  const delta = f(range / maxStep);
  if (!(delta > 0) || !Number.isFinite(delta)) return new Float64Array(0);
  const length = Math.ceil(f(range / delta));
  const out = new Float64Array(length);
  const step = f(lo + delta) - lo;
  for (let i = 0; i < length; i++) out[i] = lo + i * step;
  return out;
}

/** Number of thresholds strictly below v (the pixel is 1 in binary maps 0 .. k - 1): binary search. */
function countBelow(thresholds: Float64Array, v: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function proCurve(d: ProData, o: ProOptions = {}): ProCurve {
  const thresholds = proThresholds(d.min, d.max, o.maxStep ?? 200);
  const t = thresholds.length;
  const compare = o.float32Compare ? thresholds.map(Math.fround) : thresholds;
  const suffix = (hist: Float64Array, j: number) => hist[j + 1]!; // after the suffix sum: count with k > j
  const toSuffix = (hist: Float64Array) => {
    for (let k = t - 1; k >= 0; k--) hist[k]! += hist[k + 1]!;
  };
  const negHist = new Float64Array(t + 1);
  for (let i = 0; i < d.negatives.length; i++) negHist[countBelow(compare, d.negatives[i]!)]!++;
  toSuffix(negHist);
  const fpr = new Float64Array(t);
  for (let j = 0; j < t; j++) fpr[j] = suffix(negHist, j) / d.negatives.length;

  const proSum = new Float64Array(t);
  const hist = new Float64Array(t + 1);
  let offset = 0;
  for (let r = 0; r < d.regionAreas.length; r++) {
    const area = d.regionAreas[r]!;
    hist.fill(0);
    for (let i = offset; i < offset + area; i++) hist[countBelow(compare, d.regionScores[i]!)]!++;
    offset += area;
    toSuffix(hist);
    for (let j = 0; j < t; j++) proSum[j]! += suffix(hist, j) / area;
  }
  if (offset !== d.regionScores.length) throw new RangeError(`region areas sum to ${offset}, regionScores has ${d.regionScores.length}`);
  const pro = proSum.map((s) => s / d.regionAreas.length);
  return { thresholds, fpr, pro };
}

/**
 * Keeps the points with FPR < expectFpr, rescales their FPR to [0, 1] by (f - min) / (max - min), and
 * integrates PRO over it with trapezoids (sklearn.metrics.auc; FPR falls as the threshold rises).
 * NaN where the reference yields NaN or raises: no regions, no negatives, fewer than two kept points,
 * all kept points at one FPR, or a constant map.
 */
export function auPro(d: ProData, o: ProOptions = {}): number {
  const { fpr, pro } = proCurve(d, o);
  return areaUnderPro(fpr, pro, o);
}

/** The integration step of auPro over a PRO curve given as FPR and PRO per threshold. */
export function areaUnderPro(fpr: ArrayLike<number>, pro: ArrayLike<number>, o: ProOptions = {}): number {
  const limit = o.expectFpr ?? 0.3;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let j = 0; j < fpr.length; j++) {
    if (fpr[j]! < limit) {
      xs.push(fpr[j]!);
      ys.push(pro[j]!);
    }
  }
  if (xs.length < 2) return NaN;
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const x = xs.map((v) => (v - lo) / (hi - lo));
  let area = 0;
  for (let i = 0; i + 1 < x.length; i++) area += ((x[i + 1]! - x[i]!) * (ys[i + 1]! + ys[i]!)) / 2;
  return -area;
}

/** cal_pro_score(masks, amaps) over n maps [n, height, width] row-major, masks 0/1 of the same shape. */
export function auproScore(masks: ArrayLike<number>, maps: ScoreArray, width: number, height: number, o: ProOptions = {}): number {
  const plane = width * height;
  if (maps.length !== masks.length || maps.length % plane !== 0) throw new RangeError("masks and maps must both be [n, height, width]");
  const regionScores: number[] = [];
  const regionAreas: number[] = [];
  const negatives: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (let start = 0; start < maps.length; start += plane) {
    const mask = Array.from({ length: plane }, (_, i) => masks[start + i]!);
    const regions = labelRegions(mask, width, height);
    regionAreas.push(...regions.areas);
    for (const p of regions.pixels) regionScores.push(maps[start + p]!);
    for (let i = 0; i < plane; i++) {
      const v = maps[start + i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      if (mask[i] === 0) negatives.push(v);
    }
  }
  const make = (a: number[]) => (maps instanceof Float32Array ? Float32Array.from(a) : Float64Array.from(a));
  return auPro({ regionScores: make(regionScores), regionAreas, negatives: make(negatives), min, max }, o);
}
