// CLI: writes a deterministic random CLIP checkpoint in open_clip layout (+ optional APRIL-GAN adapters).
// npx tsx scripts/model-random.ts --arch ViT-B-16 [--seed N] [--out DIR] [--dtype f32|f16] [--activation gelu|quick_gelu]
//                                 [--with-adapter --layers 3,6,9,12]
import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { adapterTensors } from "../src/compiler/checkpoint/adapter";
import type { ClipArch } from "../src/compiler/checkpoint/clip-arch";
import { ARCH_PRESETS } from "../src/compiler/checkpoint/clip-arch";
import { parameterCount, toOpenClipTensors } from "../src/compiler/checkpoint/open-clip-layout";
import { randomAdapters, randomCheckpoint, resolveArch } from "../src/compiler/checkpoint/random-checkpoint";
import { serializeSafetensorsChunks } from "../src/compiler/checkpoint/safetensors";

const { values } = parseArgs({
  options: {
    arch: { type: "string", default: "ViT-B-16" },
    seed: { type: "string", default: "0" },
    out: { type: "string" },
    dtype: { type: "string", default: "f32" },
    activation: { type: "string" },
    "with-adapter": { type: "boolean", default: false },
    layers: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

function fail(msg: string): never {
  console.error(`model-random: ${msg}`);
  process.exit(2);
}

if (values.help) {
  console.error(`usage: npx tsx scripts/model-random.ts --arch NAME [--seed N] [--out DIR] [--dtype f32|f16]
       [--activation gelu|quick_gelu] [--with-adapter --layers 3,6,9,12]
archs: ${Object.keys(ARCH_PRESETS).join(", ")}`);
  process.exit(0);
}

const archName = values.arch!;
const seed = Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
const dtype = values.dtype!.toUpperCase();
if (dtype !== "F32" && dtype !== "F16") fail(`--dtype must be f32 or f16, got ${values.dtype}`);
function archFromArgs(): ClipArch {
  let arch: ClipArch;
  try {
    arch = resolveArch(archName);
  } catch (e) {
    fail((e as Error).message);
  }
  const activation = values.activation;
  if (activation === undefined) return arch;
  if (activation !== "gelu" && activation !== "quick_gelu") fail("--activation must be gelu or quick_gelu");
  return { ...arch, activation };
}
const arch = archFromArgs();
let layers: number[] = [];
if (values["with-adapter"]) {
  layers = (values.layers ?? "").split(",").filter(Boolean).map(Number);
  if (layers.length === 0) fail("--with-adapter needs --layers, e.g. --layers 3,6,9,12");
  const bad = layers.filter((l) => !Number.isInteger(l) || l < 1 || l > arch.vision.layers);
  if (bad.length > 0) fail(`--layers must be in 1..${arch.vision.layers}, got ${bad.join(",")}`);
}
const outDir = values.out ?? join("models", `random-${archName}-src`);

async function writeChunks(path: string, chunks: Uint8Array[]): Promise<number> {
  const fh = await open(path, "w");
  let bytes = 0;
  try {
    for (const c of chunks) {
      await fh.write(c);
      bytes += c.byteLength;
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

const mb = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);
const t0 = performance.now();
console.error(`model-random: generating ${archName} (seed ${seed}, ${arch.activation})...`);
const ckpt = randomCheckpoint(arch, seed);
console.error(`model-random: ${(parameterCount(arch) / 1e6).toFixed(1)}M parameters in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await mkdir(outDir, { recursive: true });
const { tensors, config } = toOpenClipTensors(ckpt);
const modelPath = join(outDir, "open_clip_model.safetensors");
console.error(`model-random: writing ${modelPath} (${dtype})...`);
const modelBytes = await writeChunks(modelPath, serializeSafetensorsChunks(tensors, dtype, { format: "pt", arch: archName, seed: String(seed) }));
const configPath = join(outDir, "open_clip_config.json");
await writeFile(configPath, `${JSON.stringify(config, null, 1)}\n`);
const written = [`open_clip_model.safetensors (${mb(modelBytes)})`, "open_clip_config.json"];
if (layers.length > 0) {
  const adapters = randomAdapters({ count: layers.length, width: arch.vision.width, embedDim: arch.embedDim, seed });
  const adapterBytes = await writeChunks(
    join(outDir, "adapter.safetensors"),
    serializeSafetensorsChunks(adapterTensors(adapters), dtype, { format: "pt", layers: layers.join(",") }),
  );
  written.push(`adapter.safetensors (${layers.length} adapters for layers ${layers.join(",")}, ${mb(adapterBytes)})`);
}
console.error(`model-random: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`wrote random ${archName} (seed ${seed}) to ${outDir}: ${written.join(", ")}`);
