// Plain-text tables for the eval CLI: metrics per object (x100 like test.py) and the oracle comparison.
import { METRIC_NAMES, type MetricSet } from "./metric-set";
import type { OracleReport } from "./oracle-metrics";

export function percent(v: number | undefined, digits = 2): string {
  return v === undefined || Number.isNaN(v) ? "-" : (v * 100).toFixed(digits);
}

export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Rows of object name + the seven metrics x100 (+ extra columns). */
export function metricsTable(rows: readonly { name: string; metrics: MetricSet; extra?: string[] }[], extraHeader: string[] = []): string {
  return textTable(
    ["object", ...METRIC_NAMES, ...extraHeader],
    rows.map((r) => [r.name, ...METRIC_NAMES.map((n) => percent(r.metrics[n])), ...(r.extra ?? [])]),
  );
}

export function oracleTable(reports: readonly OracleReport[]): string {
  const rows: string[][] = [];
  for (const r of reports) {
    const caseName = r.caseDir.replace(/\/+$/, "").split("/").pop() ?? r.caseDir;
    for (const [kind, c] of Object.entries(r.metrics)) {
      for (const n of METRIC_NAMES) {
        rows.push([
          caseName,
          kind,
          n,
          c.ours[n].toFixed(10),
          c.expected[n].toFixed(10),
          c.diff[n].toExponential(2),
          c.diff[n] <= (n === "aupro" ? 1e-4 : 1e-6) ? "ok" : "FAIL",
        ]);
      }
    }
  }
  return textTable(["case", "map", "metric", "ours", "expected", "|diff|", "ok"], rows);
}
