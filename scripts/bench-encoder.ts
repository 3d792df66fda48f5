// CLI: encoder latency and peak memory of bundles' image graphs, each configuration in its own process.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { profileEncoder, type ProfileSummary } from "../src/bench/encoder-profile";
import { runEncoderBenchmark, type EncoderRunResult } from "../src/bench/encoder-run";
import { runEngineEncoderBenchmark, type EngineEncoderResult } from "../src/bench/engine-encoder-run";
import { relaxedSimdSupported } from "../src/engine/wasm/int8-gemm";

const { values } = parseArgs({
  options: {
    model: { type: "string", multiple: true },
    runtime: { type: "string", multiple: true },
    runs: { type: "string", default: "10" },
    "ort-defaults": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    engine: { type: "string" },
    child: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const models = values.model ?? [];
if (models.length === 0) {
  console.error(
    "usage: npm run bench:encoder -- --model models/NAME [--model ...] [--runtime wasm|node ...] [--runs 10] [--ort-defaults] [--profile] [--engine wasm] [--json]",
  );
  process.exit(2);
}
const runs = Number(values.runs);

if (values.engine !== undefined && values.engine !== "wasm") {
  console.error("--engine: only wasm (the engine's image encoder against onnxruntime-web, same process)");
  process.exit(2);
}

if (values.engine === "wasm") {
  // One process per model: onnxruntime-web and the engine (SIMD128 and, where it validates, relaxed SIMD) interleaved.
  for (const model of models) {
    if (values.child) {
      console.log(JSON.stringify(await runEngineEncoderBenchmark(model, runs, relaxedSimdSupported() ? ["simd", "relaxed"] : ["simd"], values.profile)));
      continue;
    }
    process.stderr.write(`benchmarking ${model}: onnxruntime-web vs the engine, interleaved (${runs} runs + warm-up)...\n`);
    const flags = process.versions.node.startsWith("20.") ? ["--experimental-wasm-relaxed-simd"] : [];
    const args = [
      ...flags,
      "--import",
      "tsx",
      "scripts/bench-encoder.ts",
      "--child",
      "--engine",
      "wasm",
      "--model",
      model,
      "--runs",
      String(runs),
      ...(values.profile ? ["--profile"] : []),
    ];
    const out = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 30 });
    const r = JSON.parse(out.trim().split("\n").pop()!) as EngineEncoderResult;
    console.log(`\n${model} (${r.quantization}, ${r.imageSize}px, median of ${r.runs} interleaved runs, CPU time)\n`);
    console.log("| image encoder | CPU ms | vs onnxruntime-web | max rel diff vs ORT | wasm memory MB |");
    console.log("|---|---|---|---|---|");
    for (const row of r.rows) console.log(`| ${row.encoder} | ${row.cpuMs} | ${row.vsOrt} | ${row.maxRelDiffVsOrt} | ${row.wasmMemoryMb} |`);
    for (const p of r.profiles ?? []) {
      console.log(`\n${p.encoder}: ${p.totalMs} CPU ms per image while profiled (a clock read around every kernel call)\n`);
      console.log("| op | CPU ms per image | % |");
      console.log("|---|---|---|");
      for (const row of p.rows) console.log(`| ${row.op} | ${row.ms} | ${row.percent} |`);
    }
    if (values.json) console.log(JSON.stringify({ model, engine: r }));
  }
} else if (values.profile) {
  // ORT-web's own per-node profiler, one process per model; the warm-up run is left out.
  for (const model of models) {
    let summary: ProfileSummary;
    if (values.child) {
      console.log(JSON.stringify(await profileEncoder(model, runs)));
      continue;
    } else {
      process.stderr.write(`profiling ${model} in onnxruntime-web wasm (${runs} runs + warm-up)...\n`);
      const args = ["--import", "tsx", "scripts/bench-encoder.ts", "--child", "--profile", "--model", model, "--runs", String(runs)];
      const out = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 30 });
      summary = JSON.parse(out.trim().split("\n").pop()!) as ProfileSummary;
    }
    console.log(`\n${model}: ORT model_run ${summary.modelRunMs} ms per run, node kernels ${summary.nodeMs} ms (${summary.runs} runs)\n`);
    console.log("| op type | nodes per run | ms per run | % of node time |");
    console.log("|---|---|---|---|");
    for (const r of summary.rows) console.log(`| ${r.opType} | ${r.count} | ${r.ms} | ${r.percent} |`);
    console.log("\n| op type | input shapes | nodes per run | ms per run | % of node time |");
    console.log("|---|---|---|---|---|");
    for (const r of summary.detail.filter((d) => d.percent >= 0.5)) console.log(`| ${r.opType} | ${r.shapes} | ${r.count} | ${r.ms} | ${r.percent} |`);
    if (values.json) console.log(JSON.stringify({ model, profile: summary }));
  }
} else if (values.child) {
  const r = await runEncoderBenchmark({
    bundleDir: models[0]!,
    runtime: values.runtime?.[0] === "node" ? "node" : "wasm",
    runs,
    ortDefaults: values["ort-defaults"],
  });
  console.log(JSON.stringify(r));
} else {
  const runtimes = values.runtime ?? ["wasm", "node"];
  const results: (EncoderRunResult & { model: string })[] = [];
  for (const model of models) {
    for (const runtime of runtimes) {
      process.stderr.write(`benchmarking ${model} in ${runtime} (${runs} runs)...\n`);
      const args = ["--import", "tsx", "scripts/bench-encoder.ts", "--child", "--model", model, "--runtime", runtime, "--runs", String(runs)];
      if (values["ort-defaults"]) args.push("--ort-defaults");
      const out = execFileSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" } });
      results.push({ model, ...(JSON.parse(out.trim().split("\n").pop()!) as EncoderRunResult) });
    }
  }
  console.log("| model | runtime | quant | model MB | load ms | p50 ms | p95 ms | peak RSS MB | wasm memory MB |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    console.log(
      `| ${r.model} | ${r.runtime} | ${r.quantization} | ${r.modelMb} | ${r.loadMs} | ${r.p50Ms} | ${r.p95Ms} | ${r.peakRssMb} | ${r.wasmMemoryMb ?? "-"} |`,
    );
  }
  if (values.json) console.log(JSON.stringify({ results }));
}
