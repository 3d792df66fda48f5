// Node side of the workerd tests: stage Workers for the staged demo bundles, as auxiliary workers of the test run.
// src/worker.ts is bundled like wrangler does (its [alias], ORT's wasm as a CompiledWasm module), since auxiliary
// workers are not processed by Vite; each stage Worker gets the contract's vars and buckets (README "Stages").
import { copyFileSync, mkdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { LegacyWorkerOptions } from "miniflare";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = resolve(repoRoot, "node_modules/.cache/edge-anomaly/stage-worker");
const WASM = "ort-wasm-simd-threaded.wasm";
/** The engine's kernel modules (src/platform/engine-wasm.ts imports them), beside ORT's in the bundled worker. */
const KERNELS = ["int8-gemm-simd.wasm", "int8-gemm-relaxed.wasm", "image-simd.wasm"];

/** Stage counts the staged demo bundles are built with (test/workers/global-setup.ts), and their model names. */
export const STAGED_DEMOS = [2, 3] as const;
export const stagedDemoName = (k: number) => `demo-staged${k}`;
export const stagedDemoDir = (k: number) => resolve(repoRoot, `node_modules/.cache/edge-anomaly/${stagedDemoName(k)}`);
/** The test worker's binding to stage i of the K-stage demo (a test passes it as STAGE_<i>). */
export const stagedBindingName = (k: number, i: number) => `STAGED${k}_STAGE_${i}`;
const stageWorkerName = (k: number, i: number) => `edge-anomaly-staged${k}-stage-${i}`;
/** Text-tower stages of the K-stage demos that have them: the 3-stage demo runs its text tower in 2 stage Workers. */
export const TEXT_STAGES: Readonly<Record<number, number>> = { 3: 2 };
/** The test worker's binding to text stage i of the K-stage demo (a test passes it as TEXT_STAGE_<i>). */
export const textStagedBindingName = (k: number, i: number) => `STAGED${k}_TEXT_STAGE_${i}`;
const textStageWorkerName = (k: number, i: number) => `edge-anomaly-staged${k}-text-stage-${i}`;
/** The int8 demo in ENGINE_STAGES stages whose stage Workers run the engine (ENGINE unset: auto); k = 1: its single graph. */
export const ENGINE_STAGES = 2;
export const engineDemoName = (k: number) => `demo-int8-staged${k}`;
export const engineDemoDir = (k: number) => resolve(repoRoot, `node_modules/.cache/edge-anomaly/${engineDemoName(k)}`);
/** The test worker's binding to stage i of the int8 demo on the engine. */
export const engineBindingName = (i: number) => `ENGINE_STAGE_${i}`;
/** R2 buckets of an image stage (its bundle files and few-shot banks) and of a text stage (its bundle files). */
const IMAGE_STAGE_BUCKETS = { MODELS: "edge-anomaly-models", REFERENCE_SETS: "edge-anomaly-reference-sets" };
const TEXT_STAGE_BUCKETS = { MODELS: "edge-anomaly-models" };

/** Bundles src/worker.ts into outDir (worker.mjs + ORT's wasm beside it); about a second. */
async function bundleWorker(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(repoRoot, "src/worker.ts")],
    outfile: join(outDir, "worker.mjs"),
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    alias: { "onnxruntime-web": join(repoRoot, "node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs") },
    external: ["cloudflare:*"],
    logLevel: "error",
    plugins: [
      {
        name: "wasm-module",
        setup(build) {
          // ORT's wasm (src/platform/ort-wasm.ts imports it by package path) and the engine's kernels, each by name.
          build.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: `./${basename(args.path)}`, external: true }));
        },
      },
    ],
  });
  copyFileSync(join(repoRoot, "node_modules/onnxruntime-web/dist", WASM), join(outDir, WASM));
  for (const k of KERNELS) copyFileSync(join(repoRoot, "src/engine/wasm", k), join(outDir, k));
}

/** Miniflare options of every stage Worker of every staged demo, and the test worker's bindings to them. */
export async function stageWorkers(compatibilityDate: string): Promise<{
  workers: LegacyWorkerOptions[];
  serviceBindings: Record<string, { name: string; entrypoint: string }>;
}> {
  await bundleWorker();
  /** A Worker running the bundled src/worker.ts with these vars and R2 buckets (binding -> bucket name). */
  const worker = (name: string, bindings: Record<string, string>, r2Buckets: Record<string, string>): LegacyWorkerOptions => ({
    name,
    compatibilityDate,
    modulesRoot: outDir,
    modules: [
      { type: "ESModule", path: join(outDir, "worker.mjs") },
      ...[WASM, ...KERNELS].map((w) => ({ type: "CompiledWasm" as const, path: join(outDir, w) })),
    ],
    bindings,
    r2Buckets,
  });
  const workers: LegacyWorkerOptions[] = [];
  const serviceBindings: Record<string, { name: string; entrypoint: string }> = {};
  for (const k of STAGED_DEMOS) {
    for (let i = 0; i < k; i++) {
      workers.push(worker(stageWorkerName(k, i), { MODEL_NAME: stagedDemoName(k), STAGE_INDEX: String(i) }, IMAGE_STAGE_BUCKETS));
      serviceBindings[stagedBindingName(k, i)] = { name: stageWorkerName(k, i), entrypoint: "ImageStage" };
    }
    for (let i = 0; i < (TEXT_STAGES[k] ?? 0); i++) {
      workers.push(worker(textStageWorkerName(k, i), { MODEL_NAME: stagedDemoName(k), TEXT_STAGE_INDEX: String(i) }, TEXT_STAGE_BUCKETS));
      serviceBindings[textStagedBindingName(k, i)] = { name: textStageWorkerName(k, i), entrypoint: "TextStage" };
    }
  }
  for (let i = 0; i < ENGINE_STAGES; i++) {
    const name = `edge-anomaly-int8-staged${ENGINE_STAGES}-stage-${i}`;
    // no ENGINE var: its default ("auto") runs an int8-dynamic bundle's blocks on the engine
    workers.push(worker(name, { MODEL_NAME: engineDemoName(ENGINE_STAGES), STAGE_INDEX: String(i) }, IMAGE_STAGE_BUCKETS));
    serviceBindings[engineBindingName(i)] = { name, entrypoint: "ImageStage" };
  }
  return { workers, serviceBindings };
}
