// CLI: the engine's image encoder alone vs between the pipeline's other steps, in one process, alternating round by
// round: wall and process CPU time per encode, and the garbage collections that started during it. Answers whether
// the encoder is slower inside the pipeline (collections, cache, copies) or only timed at a busier moment.
// npm run bench:encoder-in-pipeline -- BUNDLE_DIR (an int8-dynamic bundle with one image graph) [--rounds 4]
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { gunzipSync } from "fflate";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { loadWasmImageEncoder } from "../src/bench/int8-gemm-node";
import { rerunWithRelaxedSimd } from "../src/bench/relaxed-simd-rerun";
import { percentile, processCpuMs, round } from "../src/bench/stats";
import { mapMax } from "../src/engine/anomaly/few-shot";
import { encodeResizedMapPng } from "../src/engine/anomaly/map-png-stream";
import { buildMemory, fewShotFromZeroShot, zeroShotFromEncoding } from "../src/engine/detector/analyse";
import { objectTextFeatures } from "../src/engine/detector/text-features";
import { decodeImage } from "../src/engine/image/decode";
import { preprocess } from "../src/engine/image/preprocess";
import { ScratchBytes } from "../src/engine/image/scratch-bytes";
import { ModelBundle } from "../src/engine/runtime/model-bundle";
import { createClipTokenizer } from "../src/engine/tokenizer/clip-tokenizer";
import { fsBundleReader } from "../src/evaluation/fs-bundle-reader";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: "string", default: "4" } } });
const bundleDir = positionals[0];
if (!bundleDir) {
  console.error("usage: npm run bench:encoder-in-pipeline -- BUNDLE_DIR [--rounds N]");
  process.exit(2);
}
// the served engine uses relaxed SIMD
rerunWithRelaxedSimd("scripts/bench-encoder-in-pipeline.ts");

const gcs: { start: number; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ["gc"] });

const bundle = await ModelBundle.open(fsBundleReader(bundleDir));
const m = bundle.manifest;
const engine = await loadWasmImageEncoder(bundle);
const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(await bundle.readFile("vocabulary"))));
const inputs = loadBenchInputs(4);
const text = await objectTextFeatures(bundle, tokenizer, inputs.object);
await bundle.session("fewShotHead");
const decodeScratch = new ScratchBytes(16 * 2 ** 20);
const resizeScratch = { horizontal: new ScratchBytes(16 * 2 ** 20), vertical: new ScratchBytes(4 * 2 ** 20) };
const pixels = new Float32Array(3 * m.imageSize * m.imageSize);
const modelInput = (bytes: Uint8Array) => {
  const decoded = decodeImage(bytes, { maxPixels: 64e6, scratch: decodeScratch });
  preprocess(decoded, m.imageSize, m.mean, m.std, { scratch: resizeScratch, out: pixels });
  return decoded;
};
const shots = inputs.shots.map((s) => {
  modelInput(s);
  return engine.encode(pixels.slice());
});
modelInput(inputs.image);
const fixed = pixels.slice();

const encodes: Record<string, { wall: number; cpu: number; start: number; end: number }[]> = {};
const timedEncode = (mode: string, input: Float32Array) => {
  const c = processCpuMs();
  const start = performance.now();
  const encoding = engine.encode(input);
  const end = performance.now();
  encodes[mode] ??= [];
  encodes[mode].push({ wall: end - start, cpu: processCpuMs() - c, start, end });
  return encoding;
};
const mapPng = (map: Float32Array, width: number, height: number) => encodeResizedMapPng(map, m.imageSize, width, height, mapMax(map));

const ALONE = "alone (back to back, same input)";
const STAGES = "after decode + preprocess, before the map PNG";
const PIPELINE = "in the whole pipeline (zero-shot, few-shot k1 and k4)";
engine.encode(fixed);
for (let round = 0; round < Number(values.rounds); round++) {
  for (let i = 0; i < 2; i++) timedEncode(ALONE, fixed);
  for (let i = 0; i < 2; i++) {
    const d = modelInput(inputs.image);
    const zs = zeroShotFromEncoding(bundle, timedEncode(STAGES, pixels), text);
    mapPng(zs.zeroShotMap, d.width, d.height);
  }
  for (let i = 0; i < 2; i++) {
    const d = modelInput(inputs.image);
    const zs = zeroShotFromEncoding(bundle, timedEncode(PIPELINE, pixels), text);
    mapPng(zs.zeroShotMap, d.width, d.height);
    for (const k of [1, 4]) {
      const fs = await fewShotFromZeroShot(bundle, zs, buildMemory(bundle, shots.slice(0, k)));
      mapPng(fs.combinedMap, d.width, d.height);
    }
  }
}
await new Promise((r) => setTimeout(r, 50)); // the last gc entries are delivered asynchronously

console.log(
  `${join(bundleDir)} on the engine (${engine.kind}), node ${process.version}; per encode, median over ${Number(values.rounds) * 2} encodes per row, rows alternating round by round:`,
);
console.log("| encoder | wall ms | process CPU ms | collections started during the encode (ms, total of all encodes) |");
console.log("|---|---|---|---|");
for (const [mode, list] of Object.entries(encodes)) {
  const during = gcs.filter((g) => list.some((e) => g.start >= e.start && g.start < e.end));
  const gcMs = during.reduce((s, g) => s + g.ms, 0);
  console.log(
    `| ${mode} | ${round(
      percentile(
        list.map((e) => e.wall),
        50,
      ),
    )} | ${round(
      percentile(
        list.map((e) => e.cpu),
        50,
      ),
    )} | ${during.length} (${round(gcMs)}) |`,
  );
}
process.exit(0);
