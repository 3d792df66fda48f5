// CLI: the engine's image encoder on one bundle with two sets of kernel modules (directories holding
// int8-gemm-simd.wasm and int8-gemm-relaxed.wasm), in ONE process: checks every output array is bit-identical for
// both kernels, then times them interleaved (CPU-time medians) and prints the ratios.
// npm run bench:encoder-ab -- --model DIR --a DIR --b DIR [--runs 20] [--kinds relaxed,simd] [--images 2]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { rotation } from "../src/bench/interleaved-runs";
import { rerunWithRelaxedSimd } from "../src/bench/relaxed-simd-rerun";
import { percentile, processCpuMs } from "../src/bench/stats";
import { ModelBundle } from "../src/engine/runtime/model-bundle";
import type { GemmKind } from "../src/engine/wasm/int8-gemm";
import { createWasmImageEncoder } from "../src/engine/wasm/wasm-image-tower";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    a: { type: "string" },
    b: { type: "string" },
    runs: { type: "string", default: "20" },
    kinds: { type: "string", default: "relaxed,simd" },
    images: { type: "string", default: "2" },
  },
});
if (!values.model || !values.a || !values.b) {
  console.error("usage: npm run bench:encoder-ab -- --model DIR --a DIR --b DIR [--runs 20] [--kinds relaxed,simd] [--images 2]");
  process.exit(2);
}
rerunWithRelaxedSimd("scripts/bench-encoder-ab.ts");
const dir = values.model;
const bundle = await ModelBundle.open({ read: async (p) => new Uint8Array(readFileSync(join(dir, p))) });
const s = bundle.manifest.imageSize;
const images = Array.from({ length: Number(values.images) }, (_, k) => new Float32Array(3 * s * s).map((_, i) => Math.sin(i * 0.001 * (k + 1) + k) * (1 + k)));
const modules = (d: string) => ({
  simd: new WebAssembly.Module(readFileSync(join(d, "int8-gemm-simd.wasm"))),
  relaxed: new WebAssembly.Module(readFileSync(join(d, "int8-gemm-relaxed.wasm"))),
});
const bits = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);

for (const kind of values.kinds!.split(",") as GemmKind[]) {
  const A = await createWasmImageEncoder(bundle, modules(values.a), kind);
  const B = await createWasmImageEncoder(bundle, modules(values.b), kind);
  let arrays = 0;
  let differ = 0;
  for (const px of images) {
    const ea = A.encode(px);
    const eb = B.encode(px);
    const pairs: [Float32Array, Float32Array][] = [[ea.imageFeatures, eb.imageFeatures]];
    for (const [l, t] of ea.tokens) pairs.push([t, eb.tokens.get(l)!]);
    for (const [l, p] of ea.projected) pairs.push([p, eb.projected.get(l)!]);
    for (const [x, y] of pairs) {
      arrays++;
      if (!y || !bits(x).equals(bits(y))) differ++;
    }
  }
  console.log(`${kind}: ${arrays} output arrays, ${differ} differ (A ${A.kind}, B ${B.kind})`);
  const runs = Number(values.runs);
  const encoders = [A, B];
  const times: number[][] = [[], []];
  for (let r = 0; r < runs; r++) {
    // A first in even runs, B first in odd ones
    for (const i of rotation(2, r)) {
      const t0 = processCpuMs();
      encoders[i]!.encode(images[0]!);
      times[i]!.push(processCpuMs() - t0);
    }
  }
  const [ta, tb] = times as [number[], number[]];
  const ma = percentile(ta, 50);
  const mb = percentile(tb, 50);
  const paired = percentile(
    ta.map((a, i) => tb[i]! / a),
    50,
  );
  console.log(
    `${new Date().toISOString()} load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )}: ${kind} A ${ma.toFixed(1)} ms, B ${mb.toFixed(1)} ms, B/A ${(mb / ma).toFixed(3)}, median of paired B/A ${paired.toFixed(4)} (${runs} interleaved runs, CPU-time medians)`,
  );
}
