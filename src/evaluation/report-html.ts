// Self-contained report.html: metrics table, ROC curves as inline SVG, worst false positives / negatives embedded.
import { readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { RankingMetrics } from "../metrics/classification";
import type { CurvePoints } from "../metrics/roc-curve";
import type { ImageRecord, ObjectResult } from "./evaluate-object";
import { percent } from "./format-table";
import { METRIC_NAMES, type MetricSet } from "./metric-set";

export interface ReportInfo {
  model: string;
  mode: string;
  k?: number;
  seed?: number;
  data: string;
  mean: MetricSet;
  /** Few-shot: mean over objects of the batch-normalised image metrics. */
  meanBatch?: RankingMetrics;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function rocSvg(title: string, curve: CurvePoints, auroc: number): string {
  const n = 180;
  const pad = 24;
  const pts = curve.fpr.map((x, i) => `${(pad + x * n).toFixed(1)},${(pad + (1 - curve.tpr[i]!) * n).toFixed(1)}`).join(" ");
  return `<figure><svg width="${n + 2 * pad}" height="${n + 2 * pad}" viewBox="0 0 ${n + 2 * pad} ${n + 2 * pad}" role="img">
<rect x="${pad}" y="${pad}" width="${n}" height="${n}" fill="#fff" stroke="#999"/>
<line x1="${pad}" y1="${pad + n}" x2="${pad + n}" y2="${pad}" stroke="#ccc" stroke-dasharray="4 3"/>
<polyline points="${pts}" fill="none" stroke="#c0392b" stroke-width="2"/>
<text x="${pad}" y="${pad - 8}" font-size="11">${esc(title)} AUROC ${percent(auroc)}</text>
<text x="${pad + n / 2}" y="${pad + n + 16}" font-size="10" text-anchor="middle">FPR</text>
<text x="10" y="${pad + n / 2}" font-size="10" transform="rotate(-90 10 ${pad + n / 2})" text-anchor="middle">TPR</text>
</svg></figure>`;
}

async function gallery(outDir: string, title: string, records: readonly ImageRecord[]): Promise<string> {
  const cells: string[] = [];
  for (const r of records) {
    if (!r.overlay) continue;
    const data = Buffer.from(await readFile(join(outDir, r.overlay))).toString("base64");
    cells.push(`<figure><img src="data:image/png;base64,${data}" width="160" height="160" alt="${esc(r.overlay)}">
<figcaption>${esc(r.defect)}/${esc(basename(r.path))}<br>score ${r.score.toFixed(4)}</figcaption></figure>`);
  }
  return `<h3>${esc(title)}</h3><div class="row">${cells.join("\n") || "<p>none</p>"}</div>`;
}

function metricRow(name: string, m: MetricSet, extra: string[] = []): string {
  return `<tr><th>${esc(name)}</th>${METRIC_NAMES.map((n) => `<td>${percent(m[n])}</td>`).join("")}${extra.map((e) => `<td>${e}</td>`).join("")}</tr>`;
}

/** Writes outDir/report.html; `worst` images of each kind per object are embedded from their overlay PNGs. */
export async function writeReport(outDir: string, results: readonly ObjectResult[], info: ReportInfo, worst = 4): Promise<string> {
  const fewShot = results.some((r) => r.batchImage);
  const extraHead = fewShot ? ["image_auroc (batch)", "image_ap (batch)", "image_f1_max (batch)"] : [];
  const batchCells = (b: RankingMetrics | undefined) => (b ? [percent(b.auroc), percent(b.ap), percent(b.f1Max)] : []);
  const rows = results.map((r) => metricRow(r.object, r.metrics, batchCells(r.batchImage)));
  const sections: string[] = [];
  for (const r of results) {
    const normals = r.images.filter((i) => !i.anomalous).sort((a, b) => b.score - a.score);
    const anomalies = r.images.filter((i) => i.anomalous).sort((a, b) => a.score - b.score);
    sections.push(`<section><h2>${esc(r.object)}</h2>
<p>${r.images.length} test images (${anomalies.length} anomalous), ${r.pixels.toLocaleString("en")} pixels;
${r.timing.msPerImage.toFixed(1)} ms per image${r.shots.length ? `; shots: ${r.shots.map((s) => esc(basename(s))).join(", ")}` : ""}</p>
<div class="row">${rocSvg("image", r.imageRoc, r.metrics.image_auroc)}${rocSvg("pixel", r.pixelRoc, r.metrics.pixel_auroc)}</div>
${await gallery(outDir, "Worst false positives (normal images, highest scores)", normals.slice(0, worst))}
${await gallery(outDir, "Worst false negatives (anomalous images, lowest scores)", anomalies.slice(0, worst))}
</section>`);
  }
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>APRIL-GAN evaluation: ${esc(info.model)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
th:first-child{text-align:left}.row{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:11px;max-width:160px;overflow-wrap:anywhere}</style></head><body>
<h1>APRIL-GAN evaluation</h1>
<p>model <code>${esc(info.model)}</code>, mode ${esc(info.mode)}${info.k !== undefined ? `, k = ${info.k}, seed ${info.seed}` : ""}, data <code>${esc(info.data)}</code>. Metrics x100, test.py definitions.
Overlays: jet of the map min-max normalised per image (as test.py), ground-truth outline in white.</p>
<table><thead><tr><th>object</th>${METRIC_NAMES.map((n) => `<th>${n}</th>`).join("")}${extraHead.map((h) => `<th>${h}</th>`).join("")}</tr></thead>
<tbody>${rows.join("\n")}${metricRow("mean", info.mean, batchCells(info.meanBatch))}</tbody></table>
${sections.join("\n")}
</body></html>`;
  const path = join(outDir, "report.html");
  await writeFile(path, html);
  return path;
}
