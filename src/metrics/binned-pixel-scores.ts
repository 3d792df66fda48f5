// Pixel scores reduced to histograms over a known score range: bounded memory for evaluations of any length.
import type { ProOptions } from "./aupro";
import { areaUnderPro, proThresholds } from "./aupro";
import type { RankingMetrics } from "./classification";
import type { CurvePoints } from "./roc-curve";

/** Fine bins for the ranking metrics and FPR; coarse per-region bins for PRO (4 KB per ground-truth region). */
export const FINE_BINS = 1 << 16;
export const REGION_BINS = 1 << 10;

/**
 * Approximate where PixelScoreStore is exact: scores falling in one bin count as tied, and a threshold inside a bin
 * counts the whole bin. Memory: 1 MB of fine histograms plus 4 KB per region, whatever the number of images.
 */
export class BinnedPixelScores {
  private readonly negatives = new Float64Array(FINE_BINS);
  private readonly positives = new Float64Array(FINE_BINS);
  private readonly regions: Uint32Array[] = [];
  private readonly areas: number[] = [];

  constructor(
    readonly lo: number,
    readonly hi: number,
  ) {
    if (!(hi > lo)) throw new RangeError(`score range must be increasing, got [${lo}, ${hi}]`);
  }

  bytes(): number {
    return this.negatives.byteLength + this.positives.byteLength + this.regions.length * REGION_BINS * 4;
  }

  private bin(v: number, bins: number): number {
    const b = Math.floor(((v - this.lo) / (this.hi - this.lo)) * bins);
    return b < 0 ? 0 : b >= bins ? bins - 1 : b;
  }

  addNegative(v: number): void {
    this.negatives[this.bin(v, FINE_BINS)]!++;
  }

  addRegion(scores: ArrayLike<number>): void {
    const hist = new Uint32Array(REGION_BINS);
    for (let i = 0; i < scores.length; i++) {
      hist[this.bin(scores[i]!, REGION_BINS)]!++;
      this.positives[this.bin(scores[i]!, FINE_BINS)]!++;
    }
    this.regions.push(hist);
    this.areas.push(scores.length);
  }

  /** AUROC / AP / F1-max with each bin one tie group (sklearn's tie handling), and a thinned ROC curve. */
  ranking(resolution = 256): RankingMetrics & { roc: CurvePoints; positives: number; negatives: number } {
    const p = this.positives.reduce((s, v) => s + v, 0);
    const n = this.negatives.reduce((s, v) => s + v, 0);
    let tp = 0;
    let fp = 0;
    let auc = 0;
    let ap = 0;
    let f1 = 0;
    const roc: CurvePoints = { fpr: [0], tpr: [0] };
    for (let b = FINE_BINS - 1; b >= 0; b--) {
      const dp = this.positives[b]!;
      const dn = this.negatives[b]!;
      if (dp + dn === 0) continue;
      auc += (dn * (2 * tp + dp)) / 2;
      tp += dp;
      fp += dn;
      if (p > 0) {
        const precision = tp / (tp + fp);
        const recall = tp / p;
        ap += (dp / p) * precision;
        if (precision + recall > 0) f1 = Math.max(f1, (2 * precision * recall) / (precision + recall));
      }
      const x = n > 0 ? fp / n : 0;
      const y = p > 0 ? tp / p : 0;
      if (x - roc.fpr.at(-1)! >= 1 / resolution || y - roc.tpr.at(-1)! >= 1 / resolution || b === 0) {
        roc.fpr.push(x);
        roc.tpr.push(y);
      }
    }
    const oneClass = p === 0 || n === 0;
    return {
      auroc: oneClass ? NaN : auc / (p * n),
      ap: p === 0 ? 0 : ap,
      f1Max: p === 0 ? 0 : f1,
      roc: oneClass ? { fpr: [], tpr: [] } : roc,
      positives: p,
      negatives: n,
    };
  }

  /** AUPRO over the reference's thresholds between the exact min and max of all maps. */
  aupro(min: number, max: number, o: ProOptions = {}): number {
    const thresholds = proThresholds(min, max, o.maxStep ?? 200);
    const n = this.negatives.reduce((s, v) => s + v, 0);
    const fineAbove = suffixSums(this.negatives);
    const fpr = thresholds.map((t) => fineAbove[this.bin(t, FINE_BINS)]! / n);
    const pro = new Float64Array(thresholds.length);
    this.regions.forEach((hist, r) => {
      const above = suffixSums(hist);
      thresholds.forEach((t, j) => {
        pro[j]! += above[this.bin(t, REGION_BINS)]! / this.areas[r]! / this.regions.length;
      });
    });
    return this.regions.length === 0 || n === 0 ? NaN : areaUnderPro(fpr, pro, o);
  }
}

function suffixSums(hist: ArrayLike<number>): Float64Array {
  const out = new Float64Array(hist.length + 1);
  for (let b = hist.length - 1; b >= 0; b--) out[b] = out[b + 1]! + hist[b]!;
  return out;
}
