// Measures one stage of a staged bundle in Node with onnxruntime-web: ORT's wasm memory after the session is created
// and after one run (every output asked for), beside the compiler's prediction. Calibrates src/compiler/stage-plan.ts.
// Sizes in MiB (2^20 bytes), like the bench's isolate figures. `load_moment_mib` is the weights' JS copy (held until
// the session exists) + ORT's wasm memory after loading: a stage isolate's load peak without its JS heap.
import { parseArgs } from "node:util";
import { installWasmMemoryProbe, wasmMemoryBytes } from "../src/bench/wasm-memory-probe";
import { fsBundleReader } from "../src/evaluation/fs-bundle-reader";
import { TEXT_STAGE_BATCH_SIZE, textGraphNames } from "../src/engine/runtime/graph-names";
import { ModelBundle } from "../src/engine/runtime/model-bundle";
import type { FeedValue } from "../src/engine/runtime/onnx-session";
import { runImageStageShots } from "../src/engine/staging/run-stage-shots";
import { embeddingRowsOf, gatherTokenEmbeddings } from "../src/engine/staging/text-embedding-gather";

const usage =
  "usage: npx tsx scripts/stage-heap.ts --model DIR (--stage I [--shots K] | --text-stage I) [--seq N (text, default 77)] [--json]\n" +
  "  --shots K: then one reference-set call of K shots (runShots, streamed shot by shot), as a set creation makes it";
const { values } = parseArgs({
  options: {
    model: { type: "string" },
    stage: { type: "string" },
    "text-stage": { type: "string" },
    seq: { type: "string" },
    shots: { type: "string" },
    json: { type: "boolean" },
  },
});
if (!values.model || (values.stage === undefined) === (values["text-stage"] === undefined)) {
  console.error(usage);
  process.exit(2);
}
installWasmMemoryProbe();
const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const bundle = await ModelBundle.open(fsBundleReader(values.model));
const m = bundle.manifest;
const text = values["text-stage"] !== undefined;
const index = Number(text ? values["text-stage"] : values.stage);
const stage = (text ? bundle.textStages : bundle.stages)?.[index];
if (!stage) {
  console.error(`${values.model} has no ${text ? "text " : ""}stage ${index}`);
  process.exit(2);
}
const started = performance.now();
const session = await (text ? bundle.textStageSession(index) : bundle.stageSession(index));
const loadedMs = performance.now() - started;
const afterLoad = wasmMemoryBytes();
const feeds: Record<string, FeedValue> = {};
const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
if (text) {
  const seq = Number(values.seq ?? m.architecture.text.contextLength);
  const width = m.architecture.text.width;
  const b = TEXT_STAGE_BATCH_SIZE;
  const tokens = BigInt64Array.from({ length: b * seq }, (_, i) => BigInt(i % seq === seq - 1 ? 49407 : 1 + (i % 400)));
  if (stage.inputs.includes(textGraphNames.tokens)) feeds[textGraphNames.tokens] = { type: "int64", data: tokens, dims: [b, seq] };
  if (stage.inputs.includes(textGraphNames.tokenEmbeddings)) {
    // the stage's own gather: range reads of the bundle's token embedding table (text-embedding-gather.ts)
    const table = bundle.textEmbedding!;
    const rows = await gatherTokenEmbeddings((first, count) => bundle.readTextEmbeddingRows(first, count), table, Array.from(tokens, Number));
    feeds[textGraphNames.tokenEmbeddings] = { type: "float32", data: embeddingRowsOf(tokens, rows, width), dims: [b, seq, width] };
  }
  if (stage.blocks[0] > 0) feeds[textGraphNames.residual(stage.blocks[0])] = { type: "float32", data: fill(b * seq * width), dims: [b, seq, width] };
} else {
  const dims = stage.blocks[0] === 0 ? [1, 3, m.imageSize, m.imageSize] : [1, 1 + m.grid * m.grid, m.architecture.vision.width];
  feeds[stage.inputs[0]!] = { type: "float32", data: fill(dims.reduce((a, c) => a * c, 1)), dims };
}
const runStart = performance.now();
await session.run(feeds, stage.outputs);
const runMs = performance.now() - runStart;
const afterRun = wasmMemoryBytes();
let shots: Record<string, unknown> = {};
if (values.shots && !text) {
  // One set-creation call, streamed as a stage Worker runs it: a fresh input per shot, each shot's outputs dropped once
  // counted (the wire sends them on), the stage's few-shot rows kept for the leave-one-out search.
  const k = Number(values.shots);
  const input = feeds[stage.inputs[0]!]!.data as Float32Array;
  async function* inputs(): AsyncGenerator<Float32Array> {
    for (let j = 0; j < k; j++) yield input.slice();
  }
  const textFeatures = fill(2 * m.architecture.embedDim);
  const start = performance.now();
  let largestShotBytes = 0;
  let bankBytes = 0;
  for await (const item of runImageStageShots(bundle, index, { inputs: inputs(), shots: k, textFeatures })) {
    if (!("shot" in item)) continue;
    const s = item.shot;
    let bytes = (s.residual ?? s.imageFeatures)!.byteLength;
    for (const d of s.zeroShotDifferences.values()) bytes += d.byteLength;
    for (const r of s.bankRows.values()) bytes += r.byteLength;
    largestShotBytes = Math.max(largestShotBytes, bytes);
    for (const r of s.bankRows.values()) bankBytes += r.byteLength;
  }
  shots = {
    shots: k,
    shots_input_mib_each: mb(input.byteLength),
    // What one shot sends on (largest of the k), and the set's bank rows of this stage's few-shot layers in all.
    shots_output_mib_each: mb(largestShotBytes),
    shots_banks_mib: mb(bankBytes),
    shots_wasm_after_mib: mb(wasmMemoryBytes()),
    shots_ms: Math.round(performance.now() - start),
  };
}
const result = {
  model: values.model,
  tower: text ? "text" : "image",
  stage: index,
  blocks: stage.blocks,
  weights_mib: mb(stage.graph.bytes + stage.weights.bytes),
  wasm_after_load_mib: mb(afterLoad),
  load_moment_mib: mb(stage.weights.bytes + afterLoad),
  wasm_after_run_mib: mb(afterRun),
  predicted_peak_mib: stage.predictedPeakMb,
  load_ms: Math.round(loadedMs),
  run_ms: Math.round(runMs),
  ...shots,
};
console.log(values.json ? JSON.stringify(result) : result);
