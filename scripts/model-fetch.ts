// CLI: download a CLIP checkpoint from the Hugging Face Hub (cached, resumable, size- and hash-checked), then compile it.
import { parseArgs } from "node:util";
import { bundleSummary, compileCheckpointDir, writeBundleDir } from "../src/compiler/build-model-dir";
import { DEFAULT_ISOLATE_BUDGET_MB, parseQuantOption, parseStageOptions, parseTextFeatureObjects } from "../src/compiler/build-options";
import type { QuantOption } from "../src/compiler/compile-bundle";
import { parseLayerList } from "../src/compiler/parse-layer-list";
import type { DownloadProgress } from "../src/hub/download-file";
import { fetchAdapter, fetchCheckpoint } from "../src/hub/fetch-checkpoint";
import type { HubLocation } from "../src/hub/hub-file";
import { FETCH_PRESETS } from "../src/hub/presets";

const presets = Object.entries(FETCH_PRESETS)
  .map(([name, p]) => `  ${name}: ${p.repo} (${p.description})`)
  .join("\n");
const usage = `usage: npm run model:fetch -- (--repo OWNER/NAME | --preset NAME) --out models/NAME
       [--revision REV] [--adapter FILE|URL] [--image-size S] [--layers 6,12,18,24] [--quant fp32|int8|...]
       [--vocab FILE|DIR] [--cache DIR (default models/.cache/hub)] [--text-features known|NAME,...]
       [--stages K | --isolate-budget-mb N (default ${DEFAULT_ISOLATE_BUDGET_MB})]   (as model:build)
Hub: $HF_ENDPOINT (default https://huggingface.co), token $HF_TOKEN when set.
presets:
${presets}`;

const { values } = parseArgs({
  options: {
    repo: { type: "string" },
    revision: { type: "string", default: "main" },
    preset: { type: "string" },
    adapter: { type: "string" },
    out: { type: "string" },
    cache: { type: "string", default: "models/.cache/hub" },
    "image-size": { type: "string" },
    layers: { type: "string" },
    quant: { type: "string", default: "fp32" },
    vocab: { type: "string" },
    "text-features": { type: "string" },
    stages: { type: "string" },
    "isolate-budget-mb": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

function fail(message: string): never {
  console.error(`model:fetch: ${message}\n${usage}`);
  process.exit(2);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
const preset = values.preset ? FETCH_PRESETS[values.preset] : undefined;
if (values.preset && !preset) fail(`unknown --preset ${values.preset}`);
const repo = values.repo ?? preset?.repo;
if (!repo || !/^[\w.-]+\/[\w.-]+$/.test(repo)) fail("--repo OWNER/NAME (or --preset) is required");
if (!values.out) fail("--out is required");
const imageSize = values["image-size"] ? Number(values["image-size"]) : preset?.imageSize;
if (imageSize !== undefined && !(Number.isInteger(imageSize) && imageSize > 0)) fail("--image-size must be a positive integer");
const layers = values.layers ? parseLayerList(values.layers) : preset?.layers;
let quant: QuantOption;
let textFeatureObjects: string[] | undefined;
let stageOptions: { stages?: number; isolateBudgetMb?: number };
try {
  quant = parseQuantOption(values.quant!);
  textFeatureObjects = parseTextFeatureObjects(values["text-features"]);
  stageOptions = parseStageOptions(values.stages, values["isolate-budget-mb"]);
} catch (e) {
  fail((e as Error).message);
}

const hub: HubLocation = {
  endpoint: process.env.HF_ENDPOINT || "https://huggingface.co",
  repo,
  revision: values.revision!,
  ...(process.env.HF_TOKEN ? { token: process.env.HF_TOKEN } : {}),
};
const started = performance.now();
const log = (m: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);

let lastShown = "";
function progress(p: DownloadProgress): void {
  const pct = p.total ? Math.floor((100 * p.received) / p.total) : undefined;
  const bar = pct === undefined ? "" : `[${"#".repeat(Math.floor(pct / 5)).padEnd(20, ".")}] ${pct}% `;
  const line = `${p.file} ${bar}${(p.received / 1e6).toFixed(1)}${p.total ? ` / ${(p.total / 1e6).toFixed(1)}` : ""} MB${p.resumedFrom > 0 ? ` (resumed at ${(p.resumedFrom / 1e6).toFixed(1)} MB)` : ""}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
  else if (pct === undefined || `${p.file}${Math.floor(pct / 25)}` !== lastShown) {
    lastShown = `${p.file}${pct === undefined ? "" : Math.floor(pct / 25)}`;
    console.error(line);
  }
}

try {
  log(`fetching ${hub.repo}@${hub.revision} from ${hub.endpoint}`);
  const ckpt = await fetchCheckpoint(hub, values.cache!, { onProgress: progress });
  if (process.stderr.isTTY) process.stderr.write("\n");
  for (const f of ckpt.files) log(`${f.name}: ${f.status}, ${(f.bytes / 1e6).toFixed(1)} MB, checked`);
  const adapter =
    values.adapter && /^https?:\/\//.test(values.adapter) ? await fetchAdapter(hub, values.adapter, values.cache!, { onProgress: progress }) : values.adapter;
  const bundle = await compileCheckpointDir({
    from: ckpt.dir,
    out: values.out,
    layout: ckpt.layout,
    imageSize,
    layers,
    adapter,
    vocab: values.vocab ?? ckpt.vocabDir,
    quant,
    textFeatureObjects,
    ...stageOptions,
    onProgress: log,
  });
  await writeBundleDir(bundle, values.out);
  console.log(bundleSummary(values.out, bundle.manifest));
} catch (e) {
  const err = e as Error & { code?: string };
  console.error(`model:fetch failed${err.code ? ` [${err.code}]` : ""}: ${err.message}; no bundle written`);
  process.exit(1);
}
