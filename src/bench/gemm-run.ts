// The engine's int8 GEMM against onnxruntime-web's (DynamicQuantizeMatMul) on the same linear layer, same process.
import type { Tensor } from "../compiler/checkpoint/clip-checkpoint";
import { DataType, GraphBuilder } from "../compiler/onnx/graph-builder";
import { linear, quantizePerColumn, transposeWeight } from "../compiler/onnx/linear";
import { OnnxModel } from "../engine/runtime/onnx-session";
import { Activation, type GemmKind } from "../engine/wasm/int8-gemm";
import { loadInt8Gemm } from "./int8-gemm-node";
import { percentile, round } from "./stats";

export interface GemmShape {
  M: number;
  K: number;
  N: number;
  /** QuickGELU after the layer: fused into the engine's epilogue, ORT's own QuickGelu node after its MatMul. */
  quickGelu?: boolean;
}

/** ViT-B-16 at 224 (197 tokens): fused q/k/v, out_proj, c_fc, c_proj. */
export const VIT_B16_SHAPES: GemmShape[] = [
  { M: 197, K: 768, N: 2304 },
  { M: 197, K: 768, N: 768 },
  { M: 197, K: 768, N: 3072 },
  { M: 197, K: 3072, N: 768 },
  { M: 197, K: 768, N: 3072, quickGelu: true },
];

export interface GemmRow extends GemmShape {
  engine: string;
  p50Ms: number;
  gmacPerS: number;
  /** Largest |y - y_ort| over the largest |y_ort|. */
  maxRelDiffVsOrt: number;
  /** Largest |y - y_fp32| over the largest |y_fp32|: the layer in float64 from the unquantized weights. */
  maxRelErrVsFp32: number;
}

function randomLinear(K: number, N: number, seed: number): { weight: Tensor; bias: Tensor; x: (M: number) => Float32Array } {
  let s = seed >>> 0;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const weight = { shape: [N, K], data: Float32Array.from({ length: N * K }, () => r() * 0.1) };
  const bias = { shape: [N], data: Float32Array.from({ length: N }, () => r() * 0.1) };
  return { weight, bias, x: (M) => Float32Array.from({ length: M * K }, () => r() * 4) };
}

/** x [M][K] · W^T (W [N][K]) + b in float64, then QuickGELU if asked. */
function fp32Linear(x: Float32Array, M: number, w: Float32Array, K: number, N: number, b: Float32Array, quickGelu: boolean): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = b[n]!;
      for (let k = 0; k < K; k++) acc += x[m * K + k]! * w[n * K + k]!;
      y[m * N + n] = quickGelu ? acc / (1 + Math.exp(-1.702 * acc)) : acc;
    }
  }
  return y;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let big = 1e-30;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    big = Math.max(big, Math.abs(b[i]!));
  }
  return worst / big;
}

/**
 * Median CPU milliseconds (process user + system time) per runner, the runners interleaved run by run: on a shared,
 * overloaded machine wall time mostly measures waiting for a core.
 */
export async function timeInterleaved(runs: number, runners: (() => Promise<unknown> | unknown)[]): Promise<number[]> {
  for (const fn of runners) await fn();
  const times = runners.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [j, fn] of runners.entries()) {
      const t0 = process.cpuUsage();
      await fn();
      const t = process.cpuUsage(t0);
      times[j]!.push((t.user + t.system) / 1000);
    }
  }
  return times.map((t) => percentile(t, 50));
}

/** Times one linear layer (quantize activations, int8 GEMM, dequantize + bias) per engine; medians of `runs`. */
export async function runGemmBenchmark(shapes: GemmShape[], runs: number, kinds: GemmKind[]): Promise<GemmRow[]> {
  const rows: GemmRow[] = [];
  const kernels = await Promise.all(kinds.map((k) => loadInt8Gemm(k)));
  for (const [i, shape] of shapes.entries()) {
    const { M, K, N } = shape;
    const lw = randomLinear(K, N, 1234 + i);
    const x = lw.x(M);
    const g = new GraphBuilder("one_linear");
    const input = g.input("x", DataType.FLOAT, [1, M, K]);
    let y = linear(g, input, lw, "layer", "int8-dynamic");
    if (shape.quickGelu) y = g.op("Mul", [y, g.op("Sigmoid", [g.op("Mul", [y, g.scalar("k", 1.702)])])]);
    g.node("Identity", [y], {}, ["y"]);
    g.output("y", DataType.FLOAT, [1, M, N]);
    const model = await OnnxModel.load(g.build());
    const run = () => model.run({ x: { type: "float32", data: x, dims: [1, M, K] } });
    const ortY = (await run()).y!.data;
    const macs = M * K * N;
    const { q, scales } = quantizePerColumn(transposeWeight(lw.weight), K, N);
    const layers = kernels.map((gemm) => gemm.packLinear(q, K, N, scales, lw.bias.data));
    const options = shape.quickGelu ? { activation: Activation.quickGelu } : {};
    const outputs = kernels.map((gemm, j) => gemm.linear(x, M, layers[j]!, options));
    const ms = await timeInterleaved(runs, [run, ...kernels.map((gemm, j) => () => gemm.linear(x, M, layers[j]!, options))]);
    const exact = fp32Linear(x, M, lw.weight.data, K, N, lw.bias.data, shape.quickGelu ?? false);
    await model.release();
    const engines = ["onnxruntime-web", ...kernels.map((k) => `engine ${k.kind}`)];
    for (const [j, engine] of engines.entries()) {
      const out = j === 0 ? ortY : outputs[j - 1]!;
      const diff = j === 0 ? 0 : relDiff(out, ortY);
      rows.push({
        ...shape,
        engine,
        p50Ms: round(ms[j]!, 2),
        gmacPerS: round(macs / ms[j]! / 1e6, 1),
        maxRelDiffVsOrt: round(diff, 5),
        maxRelErrVsFp32: round(relDiff(out, exact), 5),
      });
    }
  }
  return rows;
}
