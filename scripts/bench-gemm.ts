// CLI: the engine's int8 GEMM (SIMD128 and relaxed SIMD) vs onnxruntime-web on ViT-B-16's linear layers, one process.
// npm run bench:gemm -- [--runs 20] [--json]
import { parseArgs } from "node:util";
import { runGemmBenchmark, timeInterleaved, VIT_B16_SHAPES } from "../src/bench/gemm-run";
import { blockRunners, VIT_B16_BLOCK } from "../src/bench/vit-block-run";
import { relaxedSimdSupported } from "../src/engine/wasm/int8-gemm";
import { rerunWithRelaxedSimd } from "../src/bench/relaxed-simd-rerun";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" }, json: { type: "boolean", default: false } } });

rerunWithRelaxedSimd("scripts/bench-gemm.ts");
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

// A whole residual block: LayerNorm, q/k/v, fp32 attention + softmax, out_proj + residual, LayerNorm, c_fc + QuickGELU,
// c_proj + residual. ORT runs the compiler's int8-dynamic block graph; the engine its kernels on the same weights.
const block = await blockRunners(VIT_B16_BLOCK, 5, [...kinds]);
const ortY = await block.ort();
const ms = await timeInterleaved(Number(values.runs), [block.ort, ...block.engines.map((e) => e.run)]);
await block.release();
const relDiff = (a: Float32Array) => {
  let worst = 0;
  let big = 1e-30;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - ortY[i]!));
    big = Math.max(big, Math.abs(ortY[i]!));
  }
  return worst / big;
};
const blockRows = [
  { engine: "onnxruntime-web", p50Ms: ms[0]!, maxRelDiffVsOrt: 0 },
  ...block.engines.map((e, j) => ({ engine: `engine ${e.kind}`, p50Ms: ms[j + 1]!, maxRelDiffVsOrt: relDiff(e.run()) })),
];
console.log(`\nViT-B-16 residual block (${VIT_B16_BLOCK.tokens} tokens, QuickGELU), same interleaved CPU-time medians`);
console.log("| engine | p50 CPU ms | vs onnxruntime-web | max rel. diff vs ORT output |");
console.log("|---|---|---|---|");
for (const r of blockRows) console.log(`| ${r.engine} | ${r.p50Ms.toFixed(2)} | ${(ms[0]! / r.p50Ms).toFixed(2)}x | ${r.maxRelDiffVsOrt.toPrecision(3)} |`);
if (values.json) console.log(JSON.stringify({ rows, block: blockRows }));
