// The seven numbers of test.py's table, under the names the oracle's training/manifest.json uses.
import type { RankingMetrics } from "../metrics/classification";
import type { PixelMetrics } from "../metrics/pixel-store";

export interface MetricSet {
  image_auroc: number;
  image_ap: number;
  image_f1_max: number;
  pixel_auroc: number;
  pixel_ap: number;
  pixel_f1_max: number;
  aupro: number;
}

export const METRIC_NAMES: readonly (keyof MetricSet)[] = ["image_auroc", "image_ap", "image_f1_max", "pixel_auroc", "pixel_ap", "pixel_f1_max", "aupro"];

export function metricSet(image: RankingMetrics, pixel: PixelMetrics): MetricSet {
  return {
    image_auroc: image.auroc,
    image_ap: image.ap,
    image_f1_max: image.f1Max,
    pixel_auroc: pixel.auroc,
    pixel_ap: pixel.ap,
    pixel_f1_max: pixel.f1Max,
    aupro: pixel.aupro,
  };
}

/** Mean of each metric over objects, NaN entries skipped (NaN if all are). */
export function meanMetricSet(sets: readonly MetricSet[]): MetricSet {
  const out = {} as MetricSet;
  for (const name of METRIC_NAMES) {
    const values = sets.map((s) => s[name]).filter((v) => !Number.isNaN(v));
    out[name] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  }
  return out;
}
