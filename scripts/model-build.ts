// CLI: compile a CLIP checkpoint folder (open_clip or Hugging Face layout) into a model bundle.
import { parseArgs } from "node:util";
import { bundleSummary, compileCheckpointDir, writeBundleDir } from "../src/compiler/build-model-dir";
import { DEFAULT_ISOLATE_BUDGET_MB, parseQuantOption, parseStageOptions, parseTextFeatureObjects } from "../src/compiler/build-options";
import type { QuantOption } from "../src/compiler/compile-bundle";
import { parseLayerList } from "../src/compiler/parse-layer-list";

const usage = `usage: npm run model:build -- --from DIR (safetensors or torch .bin weights) --out models/NAME
       [--layout open_clip|hf] [--image-size S] [--layers 6,12,18,24] [--few-shot-layers ...]
       [--adapter adapter.safetensors|adapter.pth] [--quant fp32|int8|int8-dynamic|int8-weight|int8-block|int4-block]
       [--vocab FILE.txt.gz|HF_TOKENIZER_DIR]   (default: vocab/bpe_simple_vocab_16e6.txt.gz, OpenAI CLIP's)
       [--text-features known|NAME,NAME,...]   (precompute text features: "known" = the MVTec AD and VisA objects)
       [--stages K | --isolate-budget-mb N]     (image tower in K stages, or as few as fit an N MB isolate, each planned to N x 100/128;
                                                default: --isolate-budget-mb ${DEFAULT_ISOLATE_BUDGET_MB}; --stages 1 forces one graph)
       [--text-stages K]                        (text tower in K stages, with a staged image tower; default: planned)`;

const { values } = parseArgs({
  options: {
    from: { type: "string" },
    out: { type: "string" },
    layout: { type: "string" },
    "image-size": { type: "string" },
    layers: { type: "string" },
    "few-shot-layers": { type: "string" },
    adapter: { type: "string" },
    vocab: { type: "string" },
    quant: { type: "string", default: "fp32" },
    "text-features": { type: "string" },
    stages: { type: "string" },
    "isolate-budget-mb": { type: "string" },
    "text-stages": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

function fail(message: string): never {
  console.error(`model:build: ${message}\n${usage}`);
  process.exit(2);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values.from || !values.out) fail("--from and --out are required");
if (values.layout && values.layout !== "open_clip" && values.layout !== "hf") fail(`--layout must be open_clip or hf, got ${values.layout}`);
let quant: QuantOption;
let textFeatureObjects: string[] | undefined;
let stageOptions: { stages?: number; isolateBudgetMb?: number; textStages?: number };
try {
  quant = parseQuantOption(values.quant!);
  textFeatureObjects = parseTextFeatureObjects(values["text-features"]);
  stageOptions = parseStageOptions(values.stages, values["isolate-budget-mb"]);
  if (values["text-stages"] !== undefined) {
    const textStages = Number(values["text-stages"]);
    if (!(Number.isInteger(textStages) && textStages >= 1)) fail(`--text-stages must be a positive integer, got ${values["text-stages"]}`);
    stageOptions = { ...stageOptions, textStages };
  }
} catch (e) {
  fail((e as Error).message);
}
const imageSize = values["image-size"] ? Number(values["image-size"]) : undefined;
if (imageSize !== undefined && !(Number.isInteger(imageSize) && imageSize > 0)) fail(`--image-size must be a positive integer`);

const started = performance.now();
try {
  const bundle = await compileCheckpointDir({
    from: values.from,
    out: values.out,
    layout: values.layout as "open_clip" | "hf" | undefined,
    imageSize,
    layers: values.layers ? parseLayerList(values.layers) : undefined,
    fewShotLayers: values["few-shot-layers"] ? parseLayerList(values["few-shot-layers"]) : undefined,
    adapter: values.adapter,
    vocab: values.vocab,
    quant,
    textFeatureObjects,
    ...stageOptions,
    onProgress: (m) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`),
  });
  await writeBundleDir(bundle, values.out);
  console.log(bundleSummary(values.out, bundle.manifest));
} catch (e) {
  const err = e as Error & { code?: string };
  console.error(`model:build failed${err.code ? ` [${err.code}]` : ""}: ${err.message}`);
  process.exit(1);
}
