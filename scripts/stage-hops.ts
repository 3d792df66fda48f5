// CLI: what crosses each hop of a staged bundle, stages chained in this process (bytes are those a stage Worker sends).
import { parseArgs } from "node:util";
import { buildMemory } from "../src/engine/detector/analyse";
import { objectTextFeatures } from "../src/engine/detector/text-features";
import { ModelBundle } from "../src/engine/runtime/model-bundle";
import { inProcessStageRunner } from "../src/engine/staging/in-process-runner";
import type { StageHop } from "../src/engine/staging/stage-trace";
import { stagedTower } from "../src/engine/staging/staged-tower";
import { createClipTokenizer } from "../src/engine/tokenizer/clip-tokenizer";
import { fsBundleReader } from "../src/evaluation/fs-bundle-reader";
import { gunzipSync } from "fflate";

const usage = "usage: npm run stage-hops -- --model models/NAME (a staged bundle) [--shots 4] [--object bottle] [--json]";
const { values } = parseArgs({
  options: {
    model: { type: "string" },
    shots: { type: "string", default: "4" },
    object: { type: "string", default: "bottle" },
    json: { type: "boolean", default: false },
  },
});
if (!values.model) {
  console.error(usage);
  process.exit(2);
}
const shots = Number(values.shots);
const front = await ModelBundle.open(fsBundleReader(values.model));
if (!front.stages) {
  console.error(`${values.model} is not a staged bundle (built without --stages / --isolate-budget-mb)\n${usage}`);
  process.exit(2);
}
const m = front.manifest;
const stageBundle = await ModelBundle.open(fsBundleReader(values.model));
let memory = new Map<number, Float32Array>();
const tower = stagedTower(
  front,
  inProcessStageRunner(stageBundle, async (_key, layers) => new Map(layers.map((l) => [l, memory.get(l)!]))),
);
const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(await front.readFile("vocabulary"))));
const text = await objectTextFeatures(front, tokenizer, values.object!);
// Pixels of no particular image: the byte counts depend on shapes only.
const pixels = (seed: number) => Float32Array.from({ length: 3 * m.imageSize ** 2 }, (_, i) => Math.sin(i * 0.001 + seed));
const shotEncodings = [];
for (let s = 0; s < shots; s++) shotEncodings.push(await tower.encode(pixels(s + 1)));
memory = buildMemory(front, shotEncodings);
const bank = { tenant: "cli", referenceSet: "shots", modelHash: m.modelHash, promptSet: "cli" };
const zeroShot = (await tower.analyse(pixels(0), text)).stages!.hops;
const fewShot = (await tower.analyse(pixels(0), text, { bank })).stages!.hops;
const embed = await (async () => {
  const start = performance.now();
  await tower.encode(pixels(0));
  return performance.now() - start;
})();

const line = (what: string, hops: StageHop[]) =>
  `${what}: ${hops.map((h) => `stage ${h.stage} ${h.sentBytes} B in / ${h.receivedBytes} B out`).join("; ")}; total ${hops.reduce((s, h) => s + h.sentBytes + h.receivedBytes, 0)} B`;
console.log(
  `${m.name}: ${front.stages.length} stages, blocks ${front.stages.map((s) => `[${s.blocks.join(", ")})`).join(" ")}, ${m.quantization}, ${m.imageSize} px`,
);
console.log(line("zero-shot", zeroShot));
console.log(line(`few-shot k=${shots}`, fewShot));
console.log(`(one encode with every tap returned, for reference-set embedding: ${Math.round(embed)} ms in process)`);
if (values.json) {
  const bytes = (hops: StageHop[]) => hops.map((h) => ({ stage: h.stage, sentBytes: h.sentBytes, receivedBytes: h.receivedBytes }));
  console.log(JSON.stringify({ model: m.name, stages: front.stages.length, zeroShot: bytes(zeroShot), fewShot: bytes(fewShot) }));
}
