// CLI: test.py's metrics over an MVTec-AD layout folder with a model bundle, or (--oracle) on an oracle case's golden maps.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "fflate";
import { ModelBundle } from "../src/engine/runtime/model-bundle";
import type { RankingMetrics } from "../src/metrics/classification";
import { createClipTokenizer } from "../src/engine/tokenizer/clip-tokenizer";
import { resolveObjects } from "../src/evaluation/dataset-scan";
import { evaluateObject, type EvalMode, type ObjectResult } from "../src/evaluation/evaluate-object";
import { metricsTable, oracleTable, percent } from "../src/evaluation/format-table";
import { fsBundleReader } from "../src/evaluation/fs-bundle-reader";
import { meanMetricSet } from "../src/evaluation/metric-set";
import { compareOracleCase, type OracleReport } from "../src/evaluation/oracle-metrics";
import { writeReport } from "../src/evaluation/report-html";

const usage = `usage:
  npm run eval -- --oracle CASE_DIR [--oracle CASE_DIR ...] [--json]
  npm run eval -- --data DIR [--object NAME ...] --model models/NAME [--mode zero-shot|few-shot] [--k 4] [--seed 0]
                  [--limit N] [--out DIR] [--json]`;

const { values } = parseArgs({
  options: {
    oracle: { type: "string", multiple: true },
    data: { type: "string" },
    object: { type: "string", multiple: true },
    model: { type: "string" },
    mode: { type: "string", default: "zero-shot" },
    k: { type: "string", default: "4" },
    seed: { type: "string", default: "0" },
    limit: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

function fail(message: string, code = 2): never {
  console.error(`eval: ${message}\n${usage}`);
  process.exit(code);
}

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) fail(`--${name} must be an integer >= ${min}, got ${text}`);
  return v;
}

/** A case folder, or a folder of cases (every sub-folder with golden/ and training/). */
function oracleCases(dir: string): string[] {
  const isCase = (d: string) => existsSync(join(d, "golden", "manifest.json")) && existsSync(join(d, "training", "manifest.json"));
  if (isCase(dir)) return [dir];
  const found = existsSync(dir)
    ? readdirSync(dir)
        .map((d) => join(dir, d))
        .filter(isCase)
        .sort()
    : [];
  if (!found.length) fail(`${dir} is not an oracle case (golden/ and training/manifest.json) nor a folder of cases`, 1);
  return found;
}

function runOracle(dirs: string[]): number {
  const reports: OracleReport[] = dirs.flatMap(oracleCases).map((d) => compareOracleCase(d));
  console.log(oracleTable(reports));
  const ok = reports.every((r) => r.ok);
  console.log(`${ok ? "PASS" : "FAIL"}: test.py metrics on the golden maps of ${reports.length} oracle case(s) (1e-6, AUPRO 1e-4)`);
  if (values.json) {
    const metrics = reports.length === 1 ? reports[0]!.metrics : Object.fromEntries(reports.map((r) => [r.caseDir, r.metrics]));
    console.log(JSON.stringify({ ok, metrics }));
  }
  return ok ? 0 : 1;
}

async function runData(): Promise<number> {
  if (!values.model) fail("--model models/NAME is required with --data");
  const mode = values.mode as EvalMode;
  if (mode !== "zero-shot" && mode !== "few-shot") fail(`--mode must be zero-shot or few-shot, got ${values.mode}`);
  const k = integer("k", values.k, 1)!;
  const seed = integer("seed", values.seed, 0)!;
  const limit = integer("limit", values.limit, 1);
  const objects = resolveObjects(values.data!, values.object ?? []);
  const bundle = await ModelBundle.open(fsBundleReader(values.model));
  if (bundle.manifest.random) console.error(`eval: ${values.model} is a RANDOM model: its metrics mean nothing beyond timing`);
  const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(await bundle.readFile("vocabulary"))));
  const outDir = values.out ? resolve(values.out) : undefined;
  if (outDir) await mkdir(outDir, { recursive: true });

  const results: ObjectResult[] = [];
  for (const obj of objects) {
    results.push(await evaluateObject(obj, { bundle, tokenizer, mode, k, seed, limit, outDir }));
  }
  const mean = meanMetricSet(results.map((r) => r.metrics));
  const fewShot = mode === "few-shot";
  const batches = results.flatMap((r) => (r.batchImage ? [r.batchImage] : []));
  const meanOf = (pick: (b: RankingMetrics) => number) => batches.reduce((s, b) => s + pick(b), 0) / batches.length;
  const meanBatch = fewShot ? { auroc: meanOf((b) => b.auroc), ap: meanOf((b) => b.ap), f1Max: meanOf((b) => b.f1Max) } : undefined;
  const extraHeader = fewShot ? ["img_auroc_batch", "img_ap_batch", "img_f1_batch", "ms/img"] : ["ms/img"];
  const rows = results.map((r) => ({
    name: r.object,
    metrics: r.metrics,
    extra: [...(r.batchImage ? [percent(r.batchImage.auroc), percent(r.batchImage.ap), percent(r.batchImage.f1Max)] : []), r.timing.msPerImage.toFixed(1)],
  }));
  const meanExtra = meanBatch ? [percent(meanBatch.auroc), percent(meanBatch.ap), percent(meanBatch.f1Max)] : [];
  console.log(metricsTable([...rows, { name: "mean", metrics: mean, extra: meanExtra }], extraHeader));
  for (const r of results) {
    const t = r.timing;
    console.log(
      `${r.object}: ${r.images.length} images, setup ${t.setupSeconds.toFixed(2)} s, ${t.msPerImage.toFixed(1)} ms/image, ` +
        `metrics ${t.metricSeconds.toFixed(2)} s over ${r.pixels.toLocaleString("en")} pixels (${(r.storeBytes / 2 ** 20).toFixed(1)} MiB, ${r.pixelMetricsExact ? "exact" : "histograms past 16M pixels"})` +
        `; per stage ${Object.entries(t.msPerImageByStage)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(", ")} ms` +
        (r.calibration ? `; calibration ${r.calibration.method} centre ${r.calibration.center.toFixed(4)} spread ${r.calibration.spread.toFixed(4)}` : ""),
    );
  }
  const summary = {
    ok: true,
    model: values.model,
    mode,
    ...(fewShot ? { k, seed } : {}),
    mean,
    ...(meanBatch ? { mean_batch_image: meanBatch } : {}),
    objects: Object.fromEntries(
      results.map((r) => [
        r.object,
        { metrics: r.metrics, batch_image: r.batchImage, images: r.images.length, shots: r.shots, timing: r.timing, calibration: r.calibration },
      ]),
    ),
  };
  if (outDir) {
    await writeFile(join(outDir, "metrics.json"), JSON.stringify(summary, null, 2));
    const report = await writeReport(outDir, results, { model: values.model, mode, data: values.data!, mean, meanBatch, ...(fewShot ? { k, seed } : {}) });
    console.log(`wrote ${report}`);
  }
  if (values.json) console.log(JSON.stringify(summary));
  return 0;
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (values.oracle && values.data) fail("--oracle and --data are exclusive");
try {
  if (values.oracle) process.exit(runOracle(values.oracle));
  if (!values.data) fail("give --oracle CASE_DIR or --data DIR");
  process.exit(await runData());
} catch (e) {
  console.error(`eval: ${(e as Error).message}`);
  process.exit(1);
}
