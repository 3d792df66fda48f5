// CLI: train APRIL-GAN adapters on frozen CLIP features, or replay an oracle case's training steps (--oracle).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseLayerList } from "../src/compiler/parse-layer-list";
import { DEFAULT_VOCABULARY } from "../src/compiler/vocabulary/read-vocabulary";
import { replayTrainingOracle } from "../src/training/oracle-replay";
import { runTrainCommand } from "../src/training/train-command";

const usage = `usage: npm run train-adapter -- --oracle CASE_DIR [--vocab FILE] [--json]
       npm run train-adapter -- --data DIR --model-from CHECKPOINT_DIR --out adapter.safetensors
         [--epochs 15] [--batch 8] [--lr 1e-3] [--layers 3,6,9,12] [--image-size S] [--vocab FILE]
         [--layout open_clip|hf] [--synthetic [--variants 4]] [--seed 111] [--init adapter.safetensors]
         [--cache-mb 2048] [--json]`;

const { values } = parseArgs({
  options: {
    oracle: { type: "string" },
    data: { type: "string" },
    "model-from": { type: "string" },
    out: { type: "string" },
    epochs: { type: "string", default: "15" },
    batch: { type: "string", default: "8" },
    lr: { type: "string", default: "1e-3" },
    layers: { type: "string" },
    "image-size": { type: "string" },
    vocab: { type: "string" },
    layout: { type: "string" },
    synthetic: { type: "boolean", default: false },
    variants: { type: "string", default: "4" },
    seed: { type: "string", default: "111" },
    init: { type: "string" },
    "cache-mb": { type: "string", default: "2048" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

function fail(message: string): never {
  console.error(`train-adapter: ${message}\n${usage}`);
  process.exit(2);
}

function number(name: string, text: string, check: (v: number) => boolean): number {
  const v = Number(text);
  if (!Number.isFinite(v) || !check(v)) fail(`--${name} ${text} is not valid`);
  return v;
}

const started = performance.now();
const log = (m: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);

/** The vocabulary: --vocab, else a bpe_simple_vocab_16e6.txt.gz beside the checkpoint, else the one shipped in vocab/. */
function findVocab(modelDir: string): string {
  if (values.vocab) return values.vocab;
  const name = "bpe_simple_vocab_16e6.txt.gz";
  const found = [modelDir, join(modelDir, "..")].map((d) => join(d, name)).find(existsSync) ?? DEFAULT_VOCABULARY;
  log(`vocabulary ${resolve(found)}`);
  return found;
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}

try {
  if (values.oracle) {
    const report = await replayTrainingOracle({ caseDir: values.oracle, vocab: values.vocab, onProgress: log });
    console.error("step | loss (ours) | loss (oracle) | rel err | max weight err | all elements | ill-conditioned | ok");
    for (const s of report.steps) {
      console.error(
        `${s.step} | ${s.loss.toFixed(7)} | ${s.expectedLoss.toFixed(7)} | ${s.lossRelError.toExponential(1)} | ` +
          `${s.maxWeightError.toExponential(2)} | ${s.maxWeightErrorAll.toExponential(2)} | ${s.illConditioned}/${s.parameters} | ${s.ok}`,
      );
    }
    if (values.json) console.log(JSON.stringify(report));
    else console.log(report.ok ? "oracle training replay: OK" : "oracle training replay: MISMATCH");
    process.exit(report.ok ? 0 : 1);
  }

  if (!values.data || !values["model-from"] || !values.out) fail("--data, --model-from and --out are required (or --oracle CASE_DIR)");
  if (values.layout && values.layout !== "open_clip" && values.layout !== "hf") fail(`--layout must be open_clip or hf`);
  const summary = await runTrainCommand({
    data: values.data,
    modelFrom: values["model-from"],
    out: values.out,
    vocab: findVocab(values["model-from"]),
    layout: values.layout as "open_clip" | "hf" | undefined,
    epochs: number("epochs", values.epochs!, (v) => Number.isInteger(v) && v >= 1),
    batchSize: number("batch", values.batch!, (v) => Number.isInteger(v) && v >= 1),
    lr: number("lr", values.lr!, (v) => v > 0),
    layers: values.layers ? parseLayerList(values.layers) : undefined,
    imageSize: values["image-size"] ? number("image-size", values["image-size"], (v) => Number.isInteger(v) && v > 0) : undefined,
    synthetic: values.synthetic!,
    variants: number("variants", values.variants!, (v) => Number.isInteger(v) && v >= 1),
    seed: number("seed", values.seed!, Number.isInteger),
    init: values.init,
    memoryBudgetMB: number("cache-mb", values["cache-mb"]!, (v) => v >= 0),
    onProgress: log,
    onEpoch: (r) => log(`epoch ${r.epoch}/${r.epochs}: loss ${r.loss.toFixed(4)} (${r.batches} batches, ${r.seconds.toFixed(2)} s)`),
  });
  log(
    `wrote ${summary.out} (${summary.bytes} bytes); build a model with: npm run model:build -- --from ${values["model-from"]} ` +
      `--adapter ${summary.out} --layers ${summary.layers.join(",")} --image-size ${summary.imageSize} --vocab ... --out models/NAME`,
  );
  if (values.json) console.log(JSON.stringify({ ...summary, epochs: summary.epochs }));
} catch (e) {
  const err = e as Error & { code?: string };
  console.error(`train-adapter failed${err.code ? ` [${err.code}]` : ""}: ${err.message}`);
  process.exit(1);
}
