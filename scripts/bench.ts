// CLI: per-stage latency and peak memory of the pipeline (onnxruntime-web, Node), of the encoder (web vs node), and (--service) of the real service in local workerd.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import type { EncoderRunResult } from "../src/bench/encoder-run";
import type { PipelineRunResult } from "../src/bench/pipeline-run";
import { type InterleavedReport, interleavedReport } from "../src/bench/interleaved-report";
import { type InterleavedSide, runInterleaved } from "../src/bench/interleaved-runs";
import { pairedRatios, type PairedRatios } from "../src/bench/paired-rounds";
import { findTorchPython, type PytorchRunOptions, type PytorchRunResult, pytorchServeArgs, runPytorchReference } from "../src/bench/pytorch-reference";
import { bundleStageCount } from "../src/runner/staged-bundle";

const usage =
  "usage: npm run bench -- [--model models/NAME ... | --arch ViT-B-16] [--image-size S] [--runs N] [--rounds R] [--interleave C] [--service | --service-only [--var ENGINE:ort ...]] [--json]\n" +
  "       npm run bench -- --model models/NAME ... --service-only --interleave C --versus ENGINE:ort [--versus NAME:VALUE ...] [--var NAME:VALUE ...] [--warm-up W] [--json]\n" +
  "           (served A/B: each bundle served twice at once, B with the --versus vars on top of --var; W warm-up cycles (3), then C cycles of one zero-shot score each)\n" +
  "       npm run bench -- --isolate-check [--model models/NAME] [--json]   (validates the per-isolate memory method)\n" +
  "       npm run bench -- --front-burst [--concurrency 8] [--model models/NAME] [--var NAME:VALUE ...] [--json]   (maximum-size uploads at once)";
const { values } = parseArgs({
  options: {
    model: { type: "string", multiple: true },
    arch: { type: "string" },
    "image-size": { type: "string" },
    runs: { type: "string", default: "10" },
    rounds: { type: "string", default: "0" },
    interleave: { type: "string", default: "0" },
    json: { type: "boolean", default: false },
    service: { type: "boolean", default: false },
    "service-only": { type: "boolean", default: false },
    "isolate-check": { type: "boolean", default: false },
    "front-burst": { type: "boolean", default: false },
    concurrency: { type: "string", default: "8" },
    var: { type: "string", multiple: true },
    versus: { type: "string", multiple: true },
    "warm-up": { type: "string", default: "3" },
    child: { type: "string" },
  },
});
const runs = Number(values.runs);
if (!(runs > 0)) {
  console.error(`--runs must be positive\n${usage}`);
  process.exit(2);
}
// --rounds R: after everything else, R rounds of the ratios issue 9 asks for, each side measured right after the other
const rounds = Number(values.rounds);
if (!(Number.isInteger(rounds) && rounds >= 0)) {
  console.error(`--rounds must be a whole number\n${usage}`);
  process.exit(2);
}

// --interleave C: after everything else, issue 9's ratios from C cycles of interleaved runs (interleaved-runs.ts)
const interleave = Number(values.interleave);
if (!(Number.isInteger(interleave) && interleave >= 0)) {
  console.error(`--interleave must be a whole number\n${usage}`);
  process.exit(2);
}

// --versus NAME:VALUE: with --service(-only) and --interleave C, the served A/B (service-interleaved.ts) replaces the
// one-configuration service run: side A the --var vars, side B the same with these on top
const vars = parseVars(values.var);
const versus = parseVars(values.versus);
const servedInterleave = (values.service || values["service-only"]) && Object.keys(versus).length > 0;
if (Object.keys(versus).length > 0 && !(servedInterleave && interleave > 0)) {
  console.error(`--versus needs --service or --service-only, and --interleave C\n${usage}`);
  process.exit(2);
}

const warmUps = Number(values["warm-up"]);
if (!(Number.isInteger(warmUps) && warmUps >= 1)) {
  console.error(`--warm-up must be a whole number of at least 1 (the first score loads the model)\n${usage}`);
  process.exit(2);
}

/** NAME:VALUE arguments (--var, --versus) as an object; VALUE may contain colons. */
function parseVars(list: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (list ?? []).map((v) => {
      if (!v.includes(":")) {
        console.error(`expected NAME:VALUE, got ${JSON.stringify(v)}\n${usage}`);
        process.exit(2);
      }
      return [v.slice(0, v.indexOf(":")), v.slice(v.indexOf(":") + 1)];
    }),
  );
}

function childArgs(kind: string, model: string): string[] {
  // The engine picks relaxed SIMD where the runtime validates it (Node 20: behind a flag; workerd and Node 22: on).
  const flags = kind.includes("engine") && process.versions.node.startsWith("20.") ? ["--experimental-wasm-relaxed-simd"] : [];
  return [...flags, "--import", "tsx", "scripts/bench.ts", "--child", kind, "--model", model, "--runs", String(runs)];
}

const childEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" };

function runChild<T>(kind: string, model: string): T {
  const out = execFileSync(process.execPath, childArgs(kind, model), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: childEnv });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

function npmScript(script: string, args: string[]): void {
  execFileSync(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "inherit", "inherit"] });
}

if (values.child) {
  const model = values.model![0]!;
  if (values.child.startsWith("serve-")) {
    // a live side of interleaved runs: set up, warm up, then one timed run per request
    const { serveRuns } = await import("../src/bench/serve-runs");
    if (values.child === "serve-pipeline-engine") {
      const { loadPipeline, zeroShotOnce } = await import("../src/bench/pipeline-run");
      const inputs = loadBenchInputs(0);
      const pipeline = await loadPipeline({ bundleDir: model, object: inputs.object, imageEngine: "wasm" });
      const size = pipeline.bundle.manifest.imageSize;
      const pixelBuffer = new Float32Array(3 * size * size);
      const once = async () => {
        await zeroShotOnce(pipeline, inputs.image, pixelBuffer);
      };
      await once();
      await serveRuns(once);
    } else {
      const { loadEncoder } = await import("../src/bench/encoder-run");
      const runtime = values.child === "serve-encoder-node" ? "node" : values.child === "serve-encoder-engine" ? "engine" : "wasm";
      await serveRuns((await loadEncoder({ bundleDir: model, runtime, ortDefaults: false })).run);
    }
    process.exit(0);
  }
  if (values.child === "pipeline" || values.child === "pipeline-engine") {
    const { installWasmMemoryProbe } = await import("../src/bench/wasm-memory-probe");
    installWasmMemoryProbe();
    const { runPipelineBenchmark } = await import("../src/bench/pipeline-run");
    const inputs = loadBenchInputs(4);
    const imageEngine = values.child === "pipeline-engine" ? "wasm" : "ort";
    console.log(JSON.stringify(await runPipelineBenchmark({ bundleDir: model, ...inputs, runs, ks: [1, 4], imageEngine })));
  } else {
    const { runEncoderBenchmark } = await import("../src/bench/encoder-run");
    const runtime = values.child === "encoder-node" ? "node" : values.child === "encoder-engine" ? "engine" : "wasm";
    console.log(JSON.stringify(await runEncoderBenchmark({ bundleDir: model, runtime, runs, ortDefaults: false })));
  }
  process.exit(0);
}

if (values["isolate-check"]) {
  const { runIsolateCheck, isolateCheckTable } = await import("../src/bench/isolate-check");
  const inputs = loadBenchInputs(0);
  const result = await runIsolateCheck(values.model?.[0] ?? "models/demo", inputs.image, inputs.object);
  console.log(isolateCheckTable(result));
  if (values.json) console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}

if (values["front-burst"]) {
  const { runFrontBurst } = await import("../src/bench/front-burst");
  const result = await runFrontBurst({ bundleDir: values.model?.[0] ?? "models/demo", concurrency: Number(values.concurrency), side: 2048, vars });
  const front = result.isolates[0]!;
  console.log(
    `\n## ${result.concurrency} concurrent scores of a ${result.upload.width}x${result.upload.height} noise PNG (${result.upload.bytes} bytes), ${result.bundle}`,
  );
  console.log(
    `statuses ${JSON.stringify(result.statuses)}, codes ${JSON.stringify(result.codes)}, Retry-After ${result.retry_after_s.join(",") || "-"} s; 200s ${JSON.stringify(result.ok_ms)} ms`,
  );
  console.log(
    `front isolate ${front.name}: peak ${front.peak_mb} MB (JS heap ${front.js_heap_mb} + backing ${front.backing_mb} + wasm ${front.wasm_mb}; ${front.samples} samples)`,
  );
  console.log(`limits in force: ${JSON.stringify(result.limits)}`);
  if (values.json) console.log(JSON.stringify(result));
  process.exit(0);
}

let models = values.model ?? [];
// the generated open_clip checkpoint (--arch), which the PyTorch reference reads
let checkpointDir: string | undefined;
// pytorchSetup's answer once found (null: the reference cannot run)
let torchSetup: { python: string; options: PytorchRunOptions } | null | undefined;
if (values.arch) {
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  checkpointDir = join(dir, "src");
  process.stderr.write(`generating a random ${values.arch} and building fp32 and int8 bundles in ${dir}\n`);
  npmScript("scripts/model-random.ts", ["--arch", values.arch, "--out", join(dir, "src"), "--with-adapter", "--layers", "3,6,9,12"]);
  const vocab = join(process.cwd(), "../shared/clip/bpe_simple_vocab_16e6.txt.gz");
  for (const quant of ["fp32", "int8"]) {
    const build = [
      "--from",
      join(dir, "src"),
      "--out",
      join(dir, quant),
      "--vocab",
      vocab,
      "--adapter",
      join(dir, "src", "adapter.safetensors"),
      "--layers",
      "3,6,9,12",
      "--quant",
      quant,
      // the in-process encoder and pipeline runs take the whole image tower as one graph
      "--stages",
      "1",
    ];
    if (values["image-size"]) build.push("--image-size", values["image-size"]);
    npmScript("scripts/model-build.ts", build);
  }
  models = [join(dir, "fp32"), join(dir, "int8")];
}
if (models.length === 0) {
  console.error(usage);
  process.exit(2);
}

const inputs = loadBenchInputs(4);
process.stderr.write(`input: ${inputs.source}; ${runs} runs per configuration, one thread\n`);
const report: Record<string, unknown> = { machine: `${process.platform} ${process.arch}, node ${process.version}`, runs, input: inputs.source, models: {} };
const encoderMs: Record<string, number> = {};
const peakMemory: Record<string, number> = {};
let best: { zs: number; fs4: number; model: string; mapMs: number } | undefined;
for (const model of models) {
  if (values["service-only"]) continue;
  // The in-process pipeline and encoder runs load image.onnx; a staged bundle is measured by --service alone.
  if (bundleStageCount(model) > 0) {
    process.stderr.write(`${model}: staged bundle: no in-process pipeline/encoder run (--service measures it)\n`);
    (report.models as Record<string, unknown>)[model] = { staged: true };
    continue;
  }
  process.stderr.write(`${model}: pipeline in onnxruntime-web...\n`);
  const pipeline = runChild<PipelineRunResult>("pipeline", model);
  process.stderr.write(`${model}: encoder in onnxruntime-web and onnxruntime-node...\n`);
  const wasm = runChild<EncoderRunResult>("encoder-wasm", model);
  const node = runChild<EncoderRunResult>("encoder-node", model);
  // The engine runs int8-dynamic bundles only: its encoder alone, and the pipeline as ENGINE=wasm serves it.
  const engine = pipeline.quantization === "int8-dynamic" ? runChild<EncoderRunResult>("encoder-engine", model) : undefined;
  if (engine) process.stderr.write(`${model}: pipeline with the image tower on the engine...\n`);
  const enginePipeline = engine ? runChild<PipelineRunResult>("pipeline-engine", model) : undefined;
  (report.models as Record<string, unknown>)[model] = {
    pipeline,
    pipelineEngine: enginePipeline ?? null,
    encoderWasm: wasm,
    encoderNode: node,
    encoderEngine: engine ?? null,
  };
  const q = pipeline.quantization === "fp32" ? "fp32" : "int8";
  encoderMs[`ort_web_${q}`] = wasm.p50Ms;
  encoderMs[`ort_node_${q}`] = node.p50Ms;
  peakMemory[`ort_web_${q}`] = wasm.wasmMemoryMb ?? NaN;
  if (engine) {
    // wasm_int8: the served engine (ENGINE=wasm), in WASM, one thread
    encoderMs.wasm_int8 = engine.p50Ms;
    peakMemory.engine_wasm_int8 = engine.wasmMemoryMb ?? NaN;
  }
  peakMemory[`rss_wasm_${q}`] = wasm.peakRssMb;
  peakMemory[`pipeline_wasm_${q}`] = pipeline.wasmMemoryMb;
  // end_to_end_ms: the fastest configuration this bench serves (onnxruntime-web fp32 or int8, or int8 on the engine).
  for (const [run, configuration] of [
    [pipeline, model],
    [enginePipeline, `${model} (ENGINE=wasm, ${enginePipeline?.kernel})`],
  ] as const) {
    if (!run) continue;
    const zs = run.zeroShot.total!.p50;
    if (!best || zs < best.zs) best = { zs, fs4: run.fewShot.k4!.total!.p50, model: configuration, mapMs: run.zeroShot.map!.p50 };
  }

  console.log(`\n## ${model} (${pipeline.quantization}); bundle load ${pipeline.loadMs} ms, text features ${pipeline.textFeaturesMs} ms`);
  console.log("| mode | decode | preprocess | encoder | scoring | few-shot head | map | total p50 | total p95 |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  const row = (name: string, t: PipelineRunResult["zeroShot"]) =>
    console.log(
      `| ${name} | ${t.decode!.p50} | ${t.preprocess!.p50} | ${t.encoder!.p50} | ${t.scoring!.p50} | ${t.few_shot_head?.p50 ?? "-"} | ${t.map!.p50} | ${t.total!.p50} | ${t.total!.p95} |`,
    );
  row("zero-shot", pipeline.zeroShot);
  for (const [k, t] of Object.entries(pipeline.fewShot)) row(`few-shot ${k}`, t);
  if (enginePipeline) {
    row(`zero-shot, engine (${enginePipeline.kernel})`, enginePipeline.zeroShot);
    for (const [k, t] of Object.entries(enginePipeline.fewShot)) row(`few-shot ${k}, engine`, t);
  }
  console.log(
    `encoder alone: onnxruntime-web ${wasm.p50Ms} ms (p95 ${wasm.p95Ms}), wasm heap ${wasm.wasmMemoryMb} MB, RSS ${wasm.peakRssMb} MB; onnxruntime-node ${node.p50Ms} ms (p95 ${node.p95Ms}), RSS ${node.peakRssMb} MB; model ${wasm.modelMb} MB`,
  );
  if (engine) {
    console.log(
      `engine (${engine.runtime}): ${engine.p50Ms} ms (p95 ${engine.p95Ms}), ${(engine.p50Ms / wasm.p50Ms).toFixed(3)}x onnxruntime-web, ${(engine.p50Ms / node.p50Ms).toFixed(2)}x onnxruntime-node; kernel memory ${engine.wasmMemoryMb} MB`,
    );
    if (enginePipeline) {
      console.log(
        `engine encoder CPU time per image (process, p50): alone ${engine.cpuP50Ms} ms, inside the pipeline ${enginePipeline.zeroShot.encoder_cpu?.p50 ?? "-"} ms (wall: alone ${engine.p50Ms}, pipeline ${enginePipeline.zeroShot.encoder!.p50})`,
      );
    }
  }
}
report.encoder_ms = encoderMs;
const endToEnd: Record<string, unknown> = best ? { zero_shot: best.zs, few_shot_k4: best.fs4, configuration: best.model } : {};
report.end_to_end_ms = endToEnd;
if (best) {
  const pytorch = runPytorchComparison(best);
  report.pytorch = pytorch ?? null;
  endToEnd.pytorch_zero_shot = pytorch?.zero_shot_ms.total.p50 ?? null;
  endToEnd.zero_shot_vs_pytorch = pytorch ? Math.round((best.zs / pytorch.zero_shot_ms.total.p50) * 1000) / 1000 : null;
}
if (rounds > 0 && !values["service-only"]) report.paired_rounds = runPairedRounds(rounds);
if (interleave > 0 && !values["service-only"]) report.interleaved = await runInterleavedRatios(interleave);
report.peak_memory_mb = peakMemory;
// A served run that failed is reported (and kept in the JSON) without stopping the others; the exit status says so.
let servedFailures = 0;
if (servedInterleave) {
  const { byModel, failed } = await runServedInterleavedComparisons(interleave);
  report.service_interleaved = byModel;
  servedFailures = failed;
} else if (values.service || values["service-only"]) {
  const { runServiceBenchmarks } = await import("../src/bench/service-run");
  const { service, best: served, failed } = await runServiceBenchmarks(models, inputs, runs, (text) => console.log(text), vars);
  report.service = service;
  servedFailures = failed;
  endToEnd.zero_shot_workerd = served?.result.zero_shot_ms.p50 ?? null;
  endToEnd.few_shot_k4_workerd = served?.result.few_shot_k4_ms.p50 ?? null;
  endToEnd.configuration_workerd = served?.model ?? null;
}
if (values.json) console.log(JSON.stringify(report));
if (servedFailures > 0) {
  process.stderr.write(`${servedFailures} served run(s) FAILED (see above)\n`);
  process.exitCode = 1;
}

/** The served A/B of every bundle in turn (service-interleaved.ts); a failure is kept (with the exact error) rather than thrown. */
async function runServedInterleavedComparisons(cycles: number): Promise<{ byModel: Record<string, unknown>; failed: number }> {
  const { runServedInterleaved, servedInterleavedTable } = await import("../src/bench/service-interleaved");
  const byModel: Record<string, unknown> = {};
  let failed = 0;
  for (const model of models) {
    process.stderr.write(`${model}: served A/B, ${cycles} interleaved cycles (npm start twice, local workerd)...\n`);
    try {
      const result = await runServedInterleaved({
        bundleDir: model,
        inputs,
        cycles,
        warmUps,
        vars,
        versus,
        timeoutMs: 900_000,
        progress: (line) => process.stderr.write(`served interleaved: ${line}\n`),
      });
      byModel[model] = result;
      console.log(servedInterleavedTable(result));
    } catch (e) {
      const error = (e as Error).message;
      byModel[model] = { error };
      failed++;
      console.log(`\n## ${model} served A/B: FAILED\n${error}`);
    }
  }
  return { byModel, failed };
}

/** findPytorchSetup once per bench run: the main comparison, paired rounds and interleaved runs all ask for it. */
function pytorchSetup(): { python: string; options: PytorchRunOptions } | undefined {
  if (torchSetup === undefined) torchSetup = findPytorchSetup() ?? null;
  return torchSetup ?? undefined;
}

/** The official pipeline's interpreter and options for this run, or undefined after one line saying why it cannot run. */
function findPytorchSetup(): { python: string; options: PytorchRunOptions } | undefined {
  if (!checkpointDir) {
    console.log("\npytorch reference: not run (it needs --arch: it reads the generated open_clip checkpoint, which bundles do not hold)");
    return undefined;
  }
  const python = findTorchPython();
  if (!python) {
    console.log("\npytorch reference: not run (torch is not importable by $PYTHON, python3 or /usr/bin/python3; Debian: apt-get install python3-torch)");
    return undefined;
  }
  const imagePath = join(checkpointDir, "..", "bench-input.png");
  writeFileSync(imagePath, inputs.image);
  const imageSize = values["image-size"] ? Number(values["image-size"]) : undefined;
  return { python, options: { modelDir: checkpointDir, imagePath, object: inputs.object, layers: [3, 6, 9, 12], imageSize, runs } };
}

/** The bundles issue 9's ratios run on (the engine's int8 one, an fp32 one if measured), or one line saying why not. */
function ratioBundles(what: string): { int8: string; fp32: string | undefined } | undefined {
  const all = report.models as Record<string, { encoderEngine?: unknown; pipeline?: PipelineRunResult }>;
  const int8 = models.find((m) => all[m]?.encoderEngine);
  if (!int8) {
    console.log(`\n${what}: not run (no int8-dynamic bundle: the engine has nothing to run)`);
    return undefined;
  }
  return { int8, fp32: models.find((m) => all[m]?.pipeline?.quantization === "fp32") };
}

/**
 * `count` rounds, each measuring both sides of issue 9's ratios one right after the other (separate processes, as in
 * the main run): the engine's encoder then onnxruntime-web's int8 and onnxruntime-node's fp32 encoders, then our
 * zero-shot pipeline with the image tower on the engine then the official PyTorch pipeline (when it can run).
 */
function runPairedRounds(count: number): Record<string, PairedRatios> | undefined {
  const bundles = ratioBundles("paired rounds");
  if (!bundles) return undefined;
  const { int8, fp32 } = bundles;
  const torch = pytorchSetup();
  const pairs: Record<string, { a: number; b: number }[]> = { wasm_int8_vs_ort_web_int8: [] };
  if (fp32) pairs.wasm_int8_vs_ort_node_fp32 = [];
  if (torch) pairs.zero_shot_vs_pytorch = [];
  for (let r = 1; r <= count; r++) {
    process.stderr.write(`paired round ${r} of ${count}: encoders (engine, onnxruntime-web int8${fp32 ? ", onnxruntime-node fp32" : ""})...\n`);
    const engine = runChild<EncoderRunResult>("encoder-engine", int8).p50Ms;
    pairs.wasm_int8_vs_ort_web_int8!.push({ a: engine, b: runChild<EncoderRunResult>("encoder-wasm", int8).p50Ms });
    if (fp32) pairs.wasm_int8_vs_ort_node_fp32!.push({ a: engine, b: runChild<EncoderRunResult>("encoder-node", fp32).p50Ms });
    if (!torch) continue;
    process.stderr.write(`paired round ${r} of ${count}: our zero-shot pipeline on the engine, then PyTorch's...\n`);
    const ours = runChild<PipelineRunResult>("pipeline-engine", int8).zeroShot.total!.p50;
    pairs.zero_shot_vs_pytorch!.push({ a: ours, b: runPytorchReference(torch.python, torch.options).zero_shot_ms.total.p50 });
  }
  const result = Object.fromEntries(Object.entries(pairs).map(([name, p]) => [name, pairedRatios(p)]));
  console.log(`\n## ${count} paired rounds (A then B in each round; ratio A / B per round, wall-time p50 of ${runs} runs per side)`);
  console.log("| ratio | median | min | max | rounds (A / B ms) |");
  console.log("|---|---|---|---|---|");
  for (const [name, r] of Object.entries(result)) {
    console.log(`| ${name} | ${r.median} | ${r.min} | ${r.max} | ${r.rounds.map((x) => `${x.a} / ${x.b}`).join("; ")} |`);
  }
  return result;
}

/**
 * Issue 9's ratios from `cycles` cycles of interleaved runs: the encoders (engine int8, onnxruntime-web int8,
 * onnxruntime-node fp32) as live processes taking turns, one run each per cycle; then our zero-shot pipeline on the
 * engine and PyTorch's the same way. Per ratio, the median of the cycles' ratios (wall time), and the ratio of the
 * sides' CPU-time medians.
 */
async function runInterleavedRatios(cycles: number): Promise<InterleavedReport | undefined> {
  const bundles = ratioBundles("interleaved runs");
  if (!bundles) return undefined;
  const { int8, fp32 } = bundles;
  const node = (name: string, kind: string, model: string): InterleavedSide => ({
    name,
    command: process.execPath,
    args: childArgs(kind, model),
    env: childEnv,
  });
  const progress = (line: string) => process.stderr.write(`interleaved: ${line}\n`);
  const encoderSides = [node("wasm_int8", "serve-encoder-engine", int8), node("ort_web_int8", "serve-encoder-wasm", int8)];
  if (fp32) encoderSides.push(node("ort_node_fp32", "serve-encoder-node", fp32));
  const runsBySide = await runInterleaved(encoderSides, cycles, progress);
  const torch = pytorchSetup();
  if (torch) {
    const pipelineSides = [
      node("zero_shot", "serve-pipeline-engine", int8),
      { name: "pytorch_zero_shot", command: torch.python, args: pytorchServeArgs(torch.options) },
    ];
    Object.assign(runsBySide, await runInterleaved(pipelineSides, cycles, progress));
  }
  const result = interleavedReport(runsBySide, [
    ["wasm_int8_vs_ort_web_int8", "wasm_int8", "ort_web_int8"],
    ["wasm_int8_vs_ort_node_fp32", "wasm_int8", "ort_node_fp32"],
    ["zero_shot_vs_pytorch", "zero_shot", "pytorch_zero_shot"],
  ]);
  console.log(`\n## ${cycles} interleaved cycles (every side a live process, one run each per cycle, rotating order)`);
  console.log("| side | wall p50 ms | CPU p50 ms | runs (wall ms) |");
  console.log("|---|---|---|---|");
  for (const [name, s] of Object.entries(result.sides)) console.log(`| ${name} | ${s.p50_ms} | ${s.cpu_p50_ms} | ${s.runs_ms.join(", ")} |`);
  console.log("| ratio | median of cycle ratios | min | max | CPU p50 ratio |");
  console.log("|---|---|---|---|---|");
  for (const [name, r] of Object.entries(result.ratios)) console.log(`| ${name} | ${r.median} | ${r.min} | ${r.max} | ${r.cpu_p50_ratio} |`);
  return result;
}

/** The official pipeline (PyTorch fp32, one thread) on the same checkpoint and image, or one line saying why not. */
function runPytorchComparison(ours: { zs: number; mapMs: number; model: string }): PytorchRunResult | undefined {
  const setup = pytorchSetup();
  if (!setup) return undefined;
  const { python, options } = setup;
  process.stderr.write(`official pipeline in PyTorch (${python})...\n`);
  const r = runPytorchReference(python, options);
  const t = r.zero_shot_ms;
  console.log(`\n## official pipeline, PyTorch ${r.torch} fp32, ${r.threads} thread (${r.blas.map((p) => p.split("/").pop()).join(", ")})`);
  console.log("| mode | decode | preprocess | encoder | scoring | total p50 | total p95 |");
  console.log("|---|---|---|---|---|---|---|");
  console.log(`| zero-shot | ${t.decode.p50} | ${t.preprocess.p50} | ${t.encoder.p50} | ${t.scoring.p50} | ${t.total.p50} | ${t.total.p95} |`);
  console.log(`process CPU time per image p50 ${r.zero_shot_cpu_ms.p50} ms; text features (not timed per image) ${r.text_features_ms} ms`);
  const ratio = ours.zs / t.total.p50;
  console.log(
    `ours (${ours.model}) ${ours.zs} ms = ${ratio.toFixed(3)}x the official pipeline's ${t.total.p50} ms; ours includes the map PNG (${ours.mapMs} ms), which the official pipeline does not make`,
  );
  return r;
}
