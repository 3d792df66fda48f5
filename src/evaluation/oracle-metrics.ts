// Oracle mode: recompute test.py's metrics on an oracle case's golden maps and compare with training/manifest.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { rankingMetricsOf } from "../metrics/classification";
import { PixelScoreStore } from "../metrics/pixel-store";
import type { ProOptions } from "../metrics/aupro";
import { GoldenCase } from "../parity/golden-case";
import { METRIC_NAMES, metricSet, type MetricSet } from "./metric-set";

const expectedSchema = z.object({
  cases: z.array(z.number().int().nonnegative()),
  image_auroc: z.number(),
  image_ap: z.number(),
  image_f1_max: z.number(),
  pixel_auroc: z.number(),
  pixel_ap: z.number(),
  pixel_f1_max: z.number(),
  aupro: z.number(),
});
const trainingSchema = z.object({ metrics: z.record(z.string(), expectedSchema) });

/** Agreement required by the oracle README: 1e-6 absolute, AUPRO 1e-4. */
export function metricTolerance(name: keyof MetricSet): number {
  return name === "aupro" ? 1e-4 : 1e-6;
}

export interface MapComparison {
  ours: MetricSet;
  expected: MetricSet;
  diff: MetricSet;
  ok: boolean;
}

export interface OracleReport {
  caseDir: string;
  ok: boolean;
  /** Per golden map kind (zero_shot_map, combined_map): ours, expected, |ours - expected|. */
  metrics: Record<string, MapComparison>;
}

/** Metrics of the golden `kind` maps of `cases` pooled as one object: image score = max of the map. */
export function goldenMetrics(golden: GoldenCase, kind: string, cases: readonly number[], pro: ProOptions = {}): MetricSet {
  const size = golden.manifest.params.image_size;
  const store = new PixelScoreStore(size, size, cases.length);
  const imageScores = new Float64Array(cases.length);
  const imageLabels = new Uint8Array(cases.length);
  cases.forEach((n, i) => {
    const map = golden.floats(`case${n}/${kind}`);
    const maskName = `case${n}/mask`;
    const mask = golden.has(maskName) ? Uint8Array.from(golden.floats(maskName), (v) => (v > 0.5 ? 1 : 0)) : null;
    store.add(map, mask);
    let max = -Infinity;
    for (let k = 0; k < map.length; k++) if (map[k]! > max) max = map[k]!;
    imageScores[i] = max;
    // test.py's gt_sp is the dataset's anomaly flag; for the oracle's pooled cases it is "has a non-empty mask".
    imageLabels[i] = mask?.some((v) => v !== 0) ? 1 : 0;
  });
  return metricSet(rankingMetricsOf(imageLabels, imageScores), store.metrics(pro));
}

export function compareOracleCase(caseDir: string, pro: ProOptions = {}): OracleReport {
  const golden = new GoldenCase(caseDir);
  const training = trainingSchema.parse(JSON.parse(readFileSync(join(caseDir, "training", "manifest.json"), "utf8")));
  const metrics: Record<string, MapComparison> = {};
  for (const [kind, expectedEntry] of Object.entries(training.metrics)) {
    const ours = goldenMetrics(golden, kind, expectedEntry.cases, pro);
    const expected = {} as MetricSet;
    const diff = {} as MetricSet;
    let ok = true;
    for (const name of METRIC_NAMES) {
      expected[name] = expectedEntry[name];
      diff[name] = Math.abs(ours[name] - expected[name]);
      if (!(diff[name] <= metricTolerance(name))) ok = false;
    }
    metrics[kind] = { ours, expected, diff, ok };
  }
  return { caseDir, ok: Object.values(metrics).every((m) => m.ok), metrics };
}
