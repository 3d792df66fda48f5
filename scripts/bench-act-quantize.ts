// CLI: the relaxed kernel module's per-layer passes that are not GEMMs (activateQuantize, layerNormQuantize,
// quantizeActivations) on ViT-B-16 shapes, A/B between kernel module files in ONE process: each variant's call runs
// in turn (rotating order) for many rounds; prints CPU-time medians, ratios to the first module, and whether every
// output byte, scale and zero point is identical across modules.
// npm run bench:act-quantize -- A.wasm [B.wasm ...] [--rounds 60] [--reps 5] [--act 2 (QuickGELU) | 1 (GELU)]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { rotation } from "../src/bench/interleaved-runs";
import { rerunWithRelaxedSimd } from "../src/bench/relaxed-simd-rerun";
import { seededNormal } from "../src/bench/seeded-normal";
import { percentile, processCpuMs } from "../src/bench/stats";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "60" }, reps: { type: "string", default: "5" }, act: { type: "string", default: "2" } },
  allowPositionals: true,
});
if (positionals.length < 1) {
  console.error("usage: npm run bench:act-quantize -- A.wasm [B.wasm ...] [--rounds 60] [--reps 5] [--act 2 (QuickGELU) | 1 (GELU)]");
  process.exit(2);
}
rerunWithRelaxedSimd("scripts/bench-act-quantize.ts");
const rounds = Number(values.rounds);
const reps = Number(values.reps);
const act = Number(values.act);

type Fn = (...a: number[]) => number;
interface Kernel {
  name: string;
  memory: WebAssembly.Memory;
  f: Record<string, Fn>;
  at: Record<string, number>;
}

const M = 197;
const W = 768;
const F = 3072;

const gauss = seededNormal(12345);
const hidden = Float32Array.from({ length: M * F }, () => gauss() * 1.5 - 0.3);
const resid = Float32Array.from({ length: M * W }, () => gauss() * 0.8 + (Math.random() < 0.002 ? 20 : 0));
const gamma = Float32Array.from({ length: W }, () => 1 + gauss() * 0.1);
const beta = Float32Array.from({ length: W }, () => gauss() * 0.05);

function load(path: string): Kernel {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), {});
  const ex = inst.exports as Record<string, unknown>;
  const memory = ex.memory as WebAssembly.Memory;
  let top = memory.buffer.byteLength;
  const alloc = (bytes: number) => {
    const at = (top + 15) & ~15;
    const end = at + ((bytes + 15) & ~15);
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    top = end;
    return at;
  };
  const at = {
    hidden: alloc(M * F * 4),
    resid: alloc(M * W * 4),
    gamma: alloc(W * 4),
    beta: alloc(W * 4),
    dst: alloc(200 * F),
    rows: alloc(200 * 8),
    scratch: alloc(4 * F * 4),
  };
  new Float32Array(memory.buffer, at.hidden, M * F).set(hidden);
  new Float32Array(memory.buffer, at.resid, M * W).set(resid);
  new Float32Array(memory.buffer, at.gamma, W).set(gamma);
  new Float32Array(memory.buffer, at.beta, W).set(beta);
  return { name: path, memory, f: ex as Record<string, Fn>, at };
}

const kernels = positionals.map(load);
const cases: { name: string; run: (k: Kernel) => void; bytes: number }[] = [
  {
    name: `activateQuantize ${M}x${F} act ${act}`,
    run: (k) => void k.f.activateQuantize!(k.at.hidden!, M, F, act, k.at.dst!, k.at.rows!, k.at.scratch!),
    bytes: 200 * F,
  },
  {
    name: `layerNormQuantize ${M}x${W}`,
    run: (k) => void k.f.layerNormQuantize!(k.at.resid!, M, W, k.at.gamma!, k.at.beta!, 1e-5, k.at.dst!, k.at.rows!, k.at.scratch!),
    bytes: 200 * W,
  },
  { name: `quantizeActivations ${M}x${W}`, run: (k) => void k.f.quantizeActivations!(k.at.resid!, M, W, k.at.dst!, k.at.rows!), bytes: 200 * W },
];

console.log(
  `${new Date().toISOString()} load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; ${rounds} rounds x ${reps} calls`,
);
for (const c of cases) {
  // identity of outputs
  const outs = kernels.map((k) => {
    new Uint8Array(k.memory.buffer, k.at.dst!, c.bytes).fill(0xaa);
    c.run(k);
    return [new Uint8Array(k.memory.buffer, k.at.dst!, c.bytes).slice(), new Uint8Array(k.memory.buffer, k.at.rows!, 200 * 8).slice()];
  });
  const same = outs.map((o) => o.every((a, i) => Buffer.from(a).equals(Buffer.from(outs[0]![i]!))));
  for (let w = 0; w < 20; w++) for (const k of kernels) c.run(k);
  const times: number[][] = kernels.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const i of rotation(kernels.length, r)) {
      const t0 = processCpuMs();
      for (let n = 0; n < reps; n++) c.run(kernels[i]!);
      times[i]!.push((processCpuMs() - t0) / reps);
    }
  }
  const base = percentile(times[0]!, 50);
  console.log(`\n${c.name}`);
  kernels.forEach((k, i) => {
    const m = percentile(times[i]!, 50);
    console.log(`  ${m.toFixed(3)} ms  x${(m / base).toFixed(3)}  identical=${same[i]}  ${k.name}`);
  });
}
console.log(
  `\nend ${new Date().toISOString()} load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
