// CLI: the CPU stages around the encoder as the service runs them (decode into the reused scratch, preprocess into
// reused buffers, the map PNG of a 224 map at the upload's size), per image, in this process; with --baseline, the same
// stages of another checkout's code (each with its own resize kernel, when it has one) alternating run by run with this one's, checking both give the same pixels.
// npm run bench:cpu-stages -- [--runs 20] [--baseline DIR] [--image FILE] [--json]
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { decode } from "fast-png";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { percentile, processCpuMs, round } from "../src/bench/stats";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    baseline: { type: "string" },
    image: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a whole number >= 1");

interface Stages {
  decodeImage: (bytes: Uint8Array, o: object) => { width: number; height: number };
  preprocess: (image: never, size: number, mean: readonly number[], std: readonly number[], buffers: object) => Float32Array;
  encodeResizedMapPng: (map: Float32Array, size: number, width: number, height: number, max: number, kernel?: object) => Uint8Array;
  ScratchBytes: new (maxBytes: number) => object;
  /** The image SIMD kernel, in checkouts that have one (passed to decode, preprocess and the map as the service does; older checkouts' map ignores it). */
  kernel?: object;
}

async function loadStages(root: string): Promise<Stages> {
  const mod = (p: string) => import(pathToFileURL(resolve(root, p)).href);
  if (!existsSync(resolve(root, "src/engine/anomaly/map-png-stream.ts"))) throw new Error(`${root}: no src/engine/anomaly/map-png-stream.ts`);
  const [decode, pre, map, scratch] = await Promise.all([
    mod("src/engine/image/decode.ts"),
    mod("src/engine/image/preprocess.ts"),
    mod("src/engine/anomaly/map-png-stream.ts"),
    mod("src/engine/image/scratch-bytes.ts"),
  ]);
  const kernelFile = resolve(root, "src/bench/image-kernel-node.ts");
  const kernel = existsSync(kernelFile) ? (await import(pathToFileURL(kernelFile).href)).nodeImageKernel() : undefined;
  return {
    decodeImage: decode.decodeImage,
    preprocess: pre.preprocess,
    encodeResizedMapPng: map.encodeResizedMapPng,
    ScratchBytes: scratch.ScratchBytes,
    kernel,
  };
}

const SIZE = 224;
const MEAN = [0.48145466, 0.4578275, 0.40821073];
const STD = [0.26862954, 0.26130258, 0.27577711];

/** A map like a random model's: a noisy 14x14 grid upsampled to 224 with align_corners (as the scoring does). */
async function sampleMap(root: string): Promise<Float32Array> {
  const { upsampleAlignCorners } = await import(pathToFileURL(resolve(root, "src/engine/anomaly/upsample.ts")).href);
  let s = 3;
  const grid = Float32Array.from({ length: 196 }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  });
  return upsampleAlignCorners(grid, 1, 14, SIZE);
}

const image = values.image ? new Uint8Array(readFileSync(values.image)) : loadBenchInputs(0).image;
const sides = [{ name: "this checkout", root: process.cwd() }, ...(values.baseline ? [{ name: "baseline", root: resolve(values.baseline) }] : [])];
const map = await sampleMap(process.cwd());
let max = 0;
for (const v of map) max = Math.max(max, v);

const runners = await Promise.all(
  sides.map(async (side) => {
    const s = await loadStages(side.root);
    const decodeScratch = new s.ScratchBytes(16 * 2 ** 20);
    const resizeScratch = { horizontal: new s.ScratchBytes(16 * 2 ** 20), vertical: new s.ScratchBytes(4 * 2 ** 20) };
    const out = new Float32Array(3 * SIZE * SIZE);
    const cpu: Record<string, number[]> = { decode: [], preprocess: [], map: [] };
    let png: Uint8Array = new Uint8Array(0);
    let size = { width: 0, height: 0 };
    const run = (keep: boolean) => {
      let t = processCpuMs();
      const lap = (stage: string) => {
        const now = processCpuMs();
        if (keep) cpu[stage]!.push(now - t);
        t = now;
      };
      const decoded = s.decodeImage(image, { maxPixels: 64e6, scratch: decodeScratch, kernel: s.kernel });
      size = { width: decoded.width, height: decoded.height };
      lap("decode");
      s.preprocess(decoded as never, SIZE, MEAN, STD, { scratch: resizeScratch, out, kernel: s.kernel });
      lap("preprocess");
      png = s.encodeResizedMapPng(map, SIZE, decoded.width, decoded.height, max, s.kernel);
      lap("map");
    };
    return { ...side, run, cpu, out, png: () => png, size: () => size };
  }),
);

for (let r = -3; r < runs; r++) {
  // Alternate the order, so neither side always runs right after the other.
  const order = r % 2 === 0 ? runners : [...runners].reverse();
  for (const x of order) x.run(r >= 0);
}
if (runners.length === 2) {
  const [a, b] = runners as [(typeof runners)[0], (typeof runners)[0]];
  if (!a.out.every((v, i) => Object.is(v, b.out[i]))) throw new Error("the two checkouts' model inputs differ");
  const pa = decode(a.png()).data as Uint8Array;
  const pb = decode(b.png()).data as Uint8Array;
  if (!Buffer.from(pa).equals(Buffer.from(pb))) throw new Error("the two checkouts' map pixels differ");
}

const stages = ["decode", "preprocess", "map"] as const;
const result = runners.map((x) => ({
  checkout: x.name,
  root: x.root,
  mapPngBytes: x.png().length,
  cpuMs: Object.fromEntries(stages.map((s) => [s, { p50: round(percentile(x.cpu[s]!, 50)), p25: round(percentile(x.cpu[s]!, 25)) }])),
  totalCpuMs: round(stages.reduce((sum, s) => sum + percentile(x.cpu[s]!, 50), 0)),
}));
const { width, height } = runners[0]!.size();
console.log(
  `node ${process.version}, one thread; ${width}x${height} input -> ${SIZE}x${SIZE} model input, map PNG ${width}x${height}; process CPU ms per image, p50 (p25) of ${runs} runs${runners.length === 2 ? ", the two checkouts alternating run by run; same model input and map pixels" : ""}`,
);
console.log(`| checkout | decode | preprocess | map PNG | total | map PNG bytes |`);
console.log("|---|---|---|---|---|---|");
for (const r of result) {
  const c = (s: (typeof stages)[number]) => `${r.cpuMs[s]!.p50} (${r.cpuMs[s]!.p25})`;
  console.log(`| ${r.checkout} | ${c("decode")} | ${c("preprocess")} | ${c("map")} | ${r.totalCpuMs} | ${r.mapPngBytes} |`);
}
if (result.length === 2) {
  const ratio = (s: (typeof stages)[number]) => (result[0]!.cpuMs[s]!.p50 / result[1]!.cpuMs[s]!.p50).toFixed(2);
  console.log(
    `this checkout / baseline: decode ${ratio("decode")}, preprocess ${ratio("preprocess")}, map ${ratio("map")}, total ${(result[0]!.totalCpuMs / result[1]!.totalCpuMs).toFixed(2)}`,
  );
}
if (values.json) console.log(JSON.stringify(result));
