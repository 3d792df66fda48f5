// CLI: the relaxed int8 GEMM's register blockings (4 x 8, 2 x 8) against each other on ViT-B-16's linear layers, one
// process, interleaved: normal-like weights quantized per output column (as the model's, so the paired loops run).
// npm run bench:gemm-blocking -- [--runs 21]
import { parseArgs } from "node:util";
import { loadInt8Gemm } from "../src/bench/int8-gemm-node";
import { rotation } from "../src/bench/interleaved-runs";
import { rerunWithRelaxedSimd } from "../src/bench/relaxed-simd-rerun";
import { seededNormal } from "../src/bench/seeded-normal";
import { percentile } from "../src/bench/stats";
import { Activation, type ActivationId, type RelaxedBlocking, relaxedSimdSupported } from "../src/engine/wasm/int8-gemm";

const { values } = parseArgs({ options: { runs: { type: "string", default: "21" } } });

rerunWithRelaxedSimd("scripts/bench-gemm-blocking.ts");
if (!relaxedSimdSupported()) {
  console.error("this runtime does not validate relaxed SIMD");
  process.exit(1);
}

const runs = Number(values.runs);
const M = 197;
const callsPerTiming = 3;
const shapes: { K: number; N: number; act: ActivationId }[] = [
  { K: 768, N: 2304, act: Activation.none },
  { K: 768, N: 768, act: Activation.none },
  { K: 768, N: 3072, act: Activation.quickGelu },
  { K: 3072, N: 768, act: Activation.none },
];
const blockings: RelaxedBlocking[] = ["4x8", "2x8"];

const normal = seededNormal(12345);

const kernels = await Promise.all(blockings.map((b) => loadInt8Gemm("relaxed", b)));
console.log(`node ${process.version} (V8 ${process.versions.v8}), one thread, CPU-time medians of ${runs} interleaved runs (${callsPerTiming} calls each)`);
console.log("| M x K x N | paired column blocks | 4 x 8 ms | 2 x 8 ms | 4 x 8 / 2 x 8 | outputs identical |");
console.log("|---|---|---|---|---|---|");
for (const { K, N, act } of shapes) {
  const wf = Float32Array.from({ length: K * N }, () => normal() * 0.02);
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let big = 0;
    for (let k = 0; k < K; k++) big = Math.max(big, Math.abs(wf[k * N + n]!));
    scales[n] = big / 127;
  }
  const wq = Int8Array.from(wf, (v, i) => Math.round(v / scales[i % N]!));
  const bias = Float32Array.from({ length: N }, () => normal() * 0.1);
  const x = Float32Array.from({ length: M * K }, () => normal());
  const residual = Float32Array.from({ length: M * N }, () => normal());
  const setups = kernels.map((g) => {
    const layer = g.packLinear(wq, K, N, scales, bias);
    const xp = g.floats(x);
    const rp = act === Activation.none ? g.floats(residual) : 0;
    const out = g.alloc(M * N * 4);
    const run = () => {
      for (let i = 0; i < callsPerTiming; i++) g.linearAt(xp, M, layer, out, act, rp);
    };
    return { layer, run, read: () => g.read(out, M * N) };
  });
  for (const s of setups) s.run();
  const [y0, y1] = setups.map((s) => s.read());
  const identical = y0!.every((v, i) => Object.is(v, y1![i]));
  const times = setups.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    // alternate which blocking goes first
    for (const j of rotation(2, r)) {
      const t0 = process.cpuUsage();
      setups[j]!.run();
      const t = process.cpuUsage(t0);
      times[j]!.push((t.user + t.system) / 1000 / callsPerTiming);
    }
  }
  const [a, b] = times.map((t) => percentile(t, 50));
  const shape = `${M} x ${K} x ${N}${act === Activation.quickGelu ? " + QuickGELU" : ""}`;
  console.log(`| ${shape} | ${setups[0]!.layer.pairedBlocks}/${N / 8} | ${a!.toFixed(2)} | ${b!.toFixed(2)} | ${(a! / b!).toFixed(3)} | ${identical} |`);
}
