// Streams anomaly maps and masks into one compact float32 buffer for exact pixel AUROC / AP / F1-max / AUPRO.
import { auPro, type ProOptions } from "./aupro";
import { BinnedPixelScores } from "./binned-pixel-scores";
import { rankingMetrics, type RankingMetrics } from "./classification";
import { labelRegions } from "../engine/anomaly/label-regions";
import { rocCurve, type CurvePoints } from "./roc-curve";
import { sortInPlace } from "./sorted-scores";

export interface PixelMetrics extends RankingMetrics {
  aupro: number;
  roc: CurvePoints;
  pixels: number;
  positives: number;
}

export interface PixelStoreOptions {
  /** Pixels kept exactly (4 bytes each) before switching to histograms; default 16M (64 MB). */
  exactPixels?: number;
  /** The maps' possible range (APRIL-GAN maps are bounded): needed to switch to histograms; without it, no bound. */
  range?: [number, number];
}

/**
 * Every metric of test.py needs all pixel scores at full resolution, but none needs to know which image a
 * pixel came from except AUPRO, which needs each ground-truth region's pixels together. So one Float32Array
 * holds the negative pixels growing from the front and the positive pixels, region after region, growing
 * from the back: 4 bytes per pixel and nothing per image but its region areas (4 bytes per region).
 * Memory bound: 4 * S * S bytes per image (224: 196 KiB, 518: 1 MiB), doubled briefly when the buffer grows
 * past the capacity hint. metrics() sorts the buffer in place; the store cannot take more maps after it.
 */
export class PixelScoreStore {
  private buffer: Float32Array;
  private negatives = 0;
  private positives = 0;
  private readonly areas: number[] = [];
  private min = Infinity;
  private max = -Infinity;
  private count = 0;
  private sealed = false;
  private binned: BinnedPixelScores | undefined;
  private readonly exactPixels: number;

  /**
   * `expectedImages` sizes the buffer up front (no growth when right), within the exact budget. Past
   * `exactPixels` pixels, with a `range`, the scores move into BinnedPixelScores: memory stops growing and the
   * metrics become approximate (scores within 1/65536 of the range count as tied).
   */
  constructor(
    readonly width: number,
    readonly height: number,
    expectedImages = 8,
    private readonly options: PixelStoreOptions = {},
  ) {
    this.exactPixels = options.exactPixels ?? 16 * 2 ** 20;
    const plane = width * height;
    const hint = Math.max(1, expectedImages) * plane;
    this.buffer = new Float32Array(options.range ? Math.min(hint, Math.max(plane, this.exactPixels)) : hint);
  }

  /** Whether the metrics are exact (false once the store switched to histograms). */
  get exact(): boolean {
    return this.binned === undefined;
  }

  get images(): number {
    return this.count;
  }

  /** Bytes held by the scores (buffer or histograms). */
  get bytes(): number {
    return this.binned ? this.binned.bytes() : this.buffer.byteLength;
  }

  /** Adds one [height, width] map and its 0/1 mask (null = a normal image, all zero). Throws on NaN. */
  add(map: Float32Array, mask: Uint8Array | null): void {
    if (this.sealed) throw new Error("PixelScoreStore: metrics() was already computed");
    const plane = this.width * this.height;
    if (map.length !== plane || (mask && mask.length !== plane)) throw new RangeError(`map and mask must be ${this.width}x${this.height}`);
    if (!this.binned && this.options.range && this.negatives + this.positives + plane > this.exactPixels) this.switchToBins(this.options.range);
    if (this.binned) {
      this.addBinned(map, mask, this.binned);
      return;
    }
    this.reserve(plane);
    const buf = this.buffer;
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < plane; i++) {
      const v = map[i]!;
      if (Number.isNaN(v)) throw new RangeError("anomaly map contains NaN");
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (!mask || mask[i] === 0) buf[this.negatives++] = v;
    }
    this.min = lo;
    this.max = hi;
    if (mask) {
      const regions = labelRegions(mask, this.width, this.height);
      // Region after region downwards, so that reading upwards meets all regions in reverse add order.
      let top = buf.length - this.positives;
      let next = 0;
      for (const area of regions.areas) {
        top -= area;
        for (let k = 0; k < area; k++) buf[top + k] = map[regions.pixels[next++]!]!;
        this.areas.push(area);
      }
      this.positives += regions.pixels.length;
    }
    this.count++;
  }

  private addBinned(map: Float32Array, mask: Uint8Array | null, binned: BinnedPixelScores): void {
    for (let i = 0; i < map.length; i++) {
      const v = map[i]!;
      if (Number.isNaN(v)) throw new RangeError("anomaly map contains NaN");
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (!mask || mask[i] === 0) binned.addNegative(v);
    }
    if (mask) {
      const regions = labelRegions(mask, this.width, this.height);
      let next = 0;
      for (const area of regions.areas) {
        const scores = new Float32Array(area);
        for (let k = 0; k < area; k++) scores[k] = map[regions.pixels[next++]!]!;
        binned.addRegion(scores);
      }
    }
    this.count++;
  }

  /** Moves every score kept so far into histograms and frees the buffer. */
  private switchToBins([lo, hi]: [number, number]): void {
    const binned = new BinnedPixelScores(lo, hi);
    for (let i = 0; i < this.negatives; i++) binned.addNegative(this.buffer[i]!);
    let top = this.buffer.length;
    for (const area of this.areas) {
      binned.addRegion(this.buffer.subarray(top - area, top));
      top -= area;
    }
    this.binned = binned;
    this.buffer = new Float32Array(0);
    this.negatives = 0;
    this.positives = 0;
  }

  private reserve(extra: number): void {
    const used = this.negatives + this.positives;
    if (used + extra <= this.buffer.length) return;
    const grown = new Float32Array(Math.max(used + extra, Math.ceil(this.buffer.length * 1.5)));
    grown.set(this.buffer.subarray(0, this.negatives));
    grown.set(this.buffer.subarray(this.buffer.length - this.positives), grown.length - this.positives);
    this.buffer = grown;
  }

  /** Pixel AUROC, AP, F1-max, AUPRO and a thinned ROC curve; seals the store (its buffer is sorted in place). */
  metrics(options: ProOptions = {}): PixelMetrics {
    if (this.sealed) throw new Error("PixelScoreStore: metrics() can be computed once");
    if (this.binned) {
      this.sealed = true;
      const r = this.binned.ranking();
      const aupro = this.binned.aupro(this.min, this.max, options);
      return { auroc: r.auroc, ap: r.ap, f1Max: r.f1Max, aupro, roc: r.roc, pixels: r.positives + r.negatives, positives: r.positives };
    }
    const negatives = this.buffer.subarray(0, this.negatives);
    const positives = this.buffer.subarray(this.buffer.length - this.positives);
    // AUPRO first: it needs the positives still grouped by region (upwards: regions in reverse add order).
    const regionAreas = this.areas.slice().reverse();
    const aupro = this.count === 0 ? NaN : auPro({ regionScores: positives, regionAreas, negatives, min: this.min, max: this.max }, options);
    this.sealed = true;
    const sorted = sortInPlace(positives, negatives);
    return { ...rankingMetrics(sorted), aupro, roc: rocCurve(sorted), pixels: this.negatives + this.positives, positives: this.positives };
  }
}
