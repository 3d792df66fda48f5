// CLI: check a model compiled by our compiler against an oracle case's golden arrays.
import { parseArgs } from "node:util";
import { runParity, type ParityReport } from "../src/parity/run-parity";

const usage =
  "usage: npm run parity -- CASE_DIR [--layout open_clip|hf] [--quant fp32|int8|int8-dynamic|int8-weight] [--vocab FILE] [--stages K [--text-stages K]] [--engine ort|wasm] [--kernel relaxed|simd] [--json]";
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    layout: { type: "string", default: "open_clip" },
    quant: { type: "string", default: "fp32" },
    vocab: { type: "string" },
    stages: { type: "string", default: "1" },
    "text-stages": { type: "string" },
    engine: { type: "string", default: "ort" },
    kernel: { type: "string", default: "relaxed" },
    json: { type: "boolean", default: false },
  },
});
const caseDir = positionals[0];
if (!caseDir || positionals.length > 1) {
  console.error(usage);
  process.exit(2);
}
if (values.layout !== "open_clip" && values.layout !== "hf") {
  console.error(`--layout must be open_clip or hf\n${usage}`);
  process.exit(2);
}
if (!["fp32", "int8", "int8-dynamic", "int8-weight", "int8-block", "int4-block"].includes(values.quant!)) {
  console.error(`--quant must be fp32, int8, int8-dynamic or int8-weight\n${usage}`);
  process.exit(2);
}
const stages = Number(values.stages);
if (!Number.isInteger(stages) || stages < 1) {
  console.error(`--stages must be a whole number >= 1 (1: the single image graph)\n${usage}`);
  process.exit(2);
}
const textStages = values["text-stages"] === undefined ? undefined : Number(values["text-stages"]);
if (textStages !== undefined && !(Number.isInteger(textStages) && textStages >= 2 && stages >= 2)) {
  console.error(`--text-stages must be a whole number >= 2, with --stages 2 or more\n${usage}`);
  process.exit(2);
}

if (values.engine !== "ort" && values.engine !== "wasm") {
  console.error(`--engine must be ort or wasm\n${usage}`);
  process.exit(2);
}
if (values.kernel !== "relaxed" && values.kernel !== "simd") {
  console.error(`--kernel must be relaxed (used where the runtime validates relaxed SIMD) or simd\n${usage}`);
  process.exit(2);
}

const fmt = (v: number) => (Number.isNaN(v) ? "-" : v === 0 ? "0" : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(5));
let report: ParityReport;
try {
  report = await runParity({
    caseDir,
    layout: values.layout,
    quant: values.quant as "fp32",
    vocab: values.vocab,
    stages,
    ...(textStages !== undefined ? { textStages } : {}),
    engine: values.engine,
    kernel: values.kernel,
    onProgress: (m) => console.error(m),
  });
} catch (e) {
  console.error(`parity: ${(e as Error).message}`);
  process.exit(1);
}
const rows = Object.entries(report.arrays);
const width = Math.max(...rows.map(([n]) => n.length));
console.log(`${"array".padEnd(width)}  ${"maxAbs".padStart(10)}  ${"rel".padStart(10)}  ${"pearson".padStart(10)}  ok    tolerance`);
for (const [name, a] of rows) {
  console.log(
    `${name.padEnd(width)}  ${fmt(a.maxAbs).padStart(10)}  ${fmt(a.rel).padStart(10)}  ${fmt(a.pearson).padStart(10)}  ${a.ok ? "ok  " : "FAIL"}  ${a.tolerance}${a.note ? ` (${a.note})` : ""}`,
  );
}
const failed = rows.filter(([, a]) => !a.ok).map(([n]) => n);
console.log(
  `${report.ok ? "PASS" : "FAIL"}: ${caseDir} ${values.layout} ${report.quantization}${report.stages > 1 ? ` in ${report.stages} stages` : ""}${report.textStages ? `, text tower in ${report.textStages}` : ""} (image encoder: ${values.engine}): ${rows.length - failed.length}/${rows.length} arrays within tolerance` +
    (failed.length ? `; failed: ${failed.slice(0, 8).join(", ")}${failed.length > 8 ? ", ..." : ""}` : ""),
);
if (values.json) {
  const arrays = Object.fromEntries(rows.map(([n, a]) => [n, { maxAbs: a.maxAbs, rel: a.rel, pearson: a.pearson, ok: a.ok }]));
  console.log(JSON.stringify({ ok: report.ok, arrays }));
}
process.exit(report.ok ? 0 : 1);
