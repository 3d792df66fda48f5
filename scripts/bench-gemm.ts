// CLI: the engine's int8 GEMM (SIMD128 and relaxed SIMD) vs onnxruntime-web on ViT-B-16's linear layers, one process.
// npm run bench:gemm -- [--runs 20] [--json]
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { runGemmBenchmark, VIT_B16_SHAPES } from "../src/bench/gemm-run";
import { relaxedSimdSupported } from "../src/engine/wasm/int8-gemm";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" }, json: { type: "boolean", default: false } } });

if (!relaxedSimdSupported() && process.versions.node.startsWith("20.") && !process.execArgv.includes("--experimental-wasm-relaxed-simd")) {
  // Node 20's V8 has relaxed SIMD behind a flag: run again with it.
  execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", "scripts/bench-gemm.ts", ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(0);
}
const kinds = relaxedSimdSupported() ? (["simd", "relaxed"] as const) : (["simd"] as const);
const rows = await runGemmBenchmark(VIT_B16_SHAPES, Number(values.runs), [...kinds]);
console.log(
  `node ${process.version}, one thread, median CPU time (process user + system) of ${values.runs} interleaved runs; a row = quantize x + int8 GEMM + dequantize + bias (+ QuickGELU)`,
);
console.log("| M x K x N | engine | p50 CPU ms | GMAC/s | vs onnxruntime-web | max rel. diff vs ORT output | max rel. error vs fp32 |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const ort = rows.find((o) => o.engine === "onnxruntime-web" && o.K === r.K && o.N === r.N && o.quickGelu === r.quickGelu)!;
  const shape = `${r.M} x ${r.K} x ${r.N}${r.quickGelu ? " + QuickGELU" : ""}`;
  console.log(`| ${shape} | ${r.engine} | ${r.p50Ms} | ${r.gmacPerS} | ${(ort.p50Ms / r.p50Ms).toFixed(2)}x | ${r.maxRelDiffVsOrt} | ${r.maxRelErrVsFp32} |`);
}
if (values.json) console.log(JSON.stringify({ rows }));
