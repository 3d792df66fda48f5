// One encoder benchmark in this process: load an image graph in onnxruntime-web (WASM) or onnxruntime-node, time runs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBundleManifest } from "../engine/runtime/bundle-manifest";
import { imageGraphNames } from "../engine/runtime/graph-names";
import { timeRun } from "./serve-runs";
import { peakRssMb, percentile, round } from "./stats";
import { installWasmMemoryProbe, wasmMemoryBytes } from "./wasm-memory-probe";

export interface EncoderRunOptions {
  bundleDir: string;
  /** wasm: onnxruntime-web; node: onnxruntime-node; engine: the engine's image encoder (relaxed SIMD where validated). */
  runtime: "wasm" | "node" | "engine";
  runs: number;
  ortDefaults: boolean;
}

export interface EncoderRunResult {
  runtime: string;
  quantization: string;
  modelMb: number;
  loadMs: number;
  p50Ms: number;
  p95Ms: number;
  /** Median process CPU ms per run: comparable across runs at different moments of a shared machine. */
  cpuP50Ms: number;
  peakRssMb: number;
  wasmMemoryMb: number | null;
}

/** An encoder loaded and warmed up in this process: `run` encodes one fixed image. */
export interface LoadedEncoder {
  run: () => Promise<void>;
  runtime: string;
  quantization: string;
  modelMb: number;
  loadMs: number;
  /** The engine's kernel memory or onnxruntime-web's wasm heap, MB; null for onnxruntime-node. */
  wasmMemoryMb: () => number | null;
}

export async function loadEncoder(o: Omit<EncoderRunOptions, "runs">): Promise<LoadedEncoder> {
  const manifest = parseBundleManifest(JSON.parse(readFileSync(join(o.bundleDir, "manifest.json"), "utf8")));
  const graphPath = join(o.bundleDir, manifest.files.image.path);
  const weightsFile = manifest.files.imageWeights.path;
  let graph: Uint8Array | undefined = readFileSync(graphPath);
  let weights: Uint8Array | undefined = readFileSync(join(o.bundleDir, weightsFile));
  const s = manifest.imageSize;
  const pixels = new Float32Array(3 * s * s).map((_, i) => Math.sin(i * 0.001));
  const t0 = performance.now();
  let run: () => Promise<void>;
  let engineBytes = 0;
  let engineKind = "";
  if (o.runtime === "engine") {
    const { ModelBundle } = await import("../engine/runtime/model-bundle");
    const { loadWasmImageEncoder } = await import("./int8-gemm-node");
    const bundle = await ModelBundle.open({ read: async (p) => new Uint8Array(readFileSync(join(o.bundleDir, p))) });
    const engine = await loadWasmImageEncoder(bundle);
    engineBytes = engine.memoryBytes;
    engineKind = engine.kind;
    run = async () => {
      engine.encode(pixels);
    };
  } else if (o.runtime === "wasm") {
    installWasmMemoryProbe();
    const { OnnxModel } = await import("../engine/runtime/onnx-session");
    const model = await OnnxModel.load(graph, { ortDefaults: o.ortDefaults }, { path: weightsFile, data: weights });
    run = async () => {
      await model.run({ [imageGraphNames.pixels]: { type: "float32", data: pixels, dims: [1, 3, s, s] } });
    };
  } else {
    const ort = await import("onnxruntime-node");
    // From the path, so onnxruntime-node finds the external weight file beside the graph.
    const session = await ort.InferenceSession.create(graphPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    run = async () => {
      const r = await session.run({ [imageGraphNames.pixels]: new ort.Tensor("float32", pixels, [1, 3, s, s]) });
      for (const t of Object.values(r)) t.dispose();
    };
  }
  graph = undefined;
  weights = undefined;
  await run(); // warm-up: first run allocates and plans
  const loadMs = performance.now() - t0;
  return {
    run,
    runtime:
      o.runtime === "engine"
        ? `engine wasm (${engineKind})`
        : o.runtime === "wasm"
          ? `onnxruntime-web wasm${o.ortDefaults ? " (ORT default options)" : ""}`
          : "onnxruntime-node",
    quantization: manifest.quantization,
    modelMb: round((manifest.files.image.bytes + manifest.files.imageWeights.bytes) / 1e6),
    loadMs: round(loadMs),
    wasmMemoryMb: () => (o.runtime === "engine" ? round(engineBytes / 2 ** 20) : o.runtime === "wasm" ? round(wasmMemoryBytes() / 2 ** 20) : null),
  };
}

export async function runEncoderBenchmark(o: EncoderRunOptions): Promise<EncoderRunResult> {
  const encoder = await loadEncoder(o);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const { ms, cpu } = await timeRun(encoder.run);
    times.push(ms);
    cpuTimes.push(cpu);
  }
  return {
    runtime: encoder.runtime,
    quantization: encoder.quantization,
    modelMb: encoder.modelMb,
    loadMs: encoder.loadMs,
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    cpuP50Ms: round(percentile(cpuTimes, 50)),
    peakRssMb: round(peakRssMb()),
    wasmMemoryMb: encoder.wasmMemoryMb(),
  };
}
