// CLI: encoder latency and peak memory of bundles' image graphs, each configuration in its own process.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { runEncoderBenchmark, type EncoderRunResult } from "../src/bench/encoder-run";

const { values } = parseArgs({
  options: {
    model: { type: "string", multiple: true },
    runtime: { type: "string", multiple: true },
    runs: { type: "string", default: "10" },
    "ort-defaults": { type: "boolean", default: false },
    child: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const models = values.model ?? [];
if (models.length === 0) {
  console.error("usage: npm run bench:encoder -- --model models/NAME [--model ...] [--runtime wasm|node ...] [--runs 10] [--ort-defaults] [--json]");
  process.exit(2);
}
const runs = Number(values.runs);

if (values.child) {
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
