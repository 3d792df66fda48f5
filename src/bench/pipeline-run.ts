// One pipeline benchmark in this process: per-stage latency of zero-shot and few-shot scoring, the image tower in
// onnxruntime-web or on the engine's kernels (as ENGINE=wasm serves it; text tower and few-shot head in onnxruntime-web).
import { nodeImageKernel } from "./image-kernel-node";
import { mapMax } from "../engine/anomaly/few-shot";
import { encodeResizedMapPng } from "../engine/anomaly/map-png-stream";
import { buildMemory, fewShotFromZeroShot, zeroShotFromEncoding } from "../engine/detector/analyse";
import { objectTextFeatures } from "../engine/detector/text-features";
import { decodeImage } from "../engine/image/decode";
import { preprocess } from "../engine/image/preprocess";
import { ScratchBytes } from "../engine/image/scratch-bytes";
import { encodeImage, type ImageEncoding } from "../engine/runtime/clip-encoders";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { createClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import { fsBundleReader } from "../evaluation/fs-bundle-reader";
import { mapSize } from "../usecases/score-outputs";
import { gunzipSync } from "fflate";
import { loadWasmImageEncoder } from "./int8-gemm-node";
import { peakRssMb, percentile, processCpuMs, round } from "./stats";
import { wasmMemoryBytes } from "./wasm-memory-probe";

export interface PipelineRunOptions {
  bundleDir: string;
  image: Uint8Array;
  shots: Uint8Array[];
  object: string;
  runs: number;
  /** Few-shot sizes to time besides zero-shot (e.g. [1, 4]); each uses the first k shots. */
  ks: number[];
  /** "wasm": the image tower on the engine's kernels (int8-dynamic bundles). Default "ort". */
  imageEngine?: "ort" | "wasm";
}

export type StageTimes = Record<string, { p50: number; p95: number }>;

export interface PipelineRunResult {
  quantization: string;
  imageEngine: "ort" | "wasm";
  /** The engine's kernel ("relaxed" or "simd") when imageEngine is "wasm". */
  kernel?: string;
  loadMs: number;
  textFeaturesMs: number;
  zeroShot: StageTimes;
  fewShot: Record<string, StageTimes>;
  peakRssMb: number;
  wasmMemoryMb: number;
}

const MAX_PIXELS = 64e6;
/** The served decode and resize reuse their buffers (usecases/image-input.ts): the timed runs do the same. */
const decodeScratch = new ScratchBytes(16 * 2 ** 20);
const resizeScratch = { horizontal: new ScratchBytes(16 * 2 ** 20), vertical: new ScratchBytes(4 * 2 ** 20) };

/** A pipeline loaded in this process: bundle, image tower (onnxruntime-web or the engine) and the object's text features. */
export interface LoadedPipeline {
  bundle: ModelBundle;
  encode: (pixels: Float32Array) => Promise<ImageEncoding>;
  /** The object's text features [embedDim, 2] (normal, abnormal). */
  text: Float32Array;
  /** The engine's kernel ("relaxed" or "simd") when the image tower is on the engine. */
  kernel?: string;
  loadMs: number;
  textFeaturesMs: number;
}

export async function loadPipeline(o: Pick<PipelineRunOptions, "bundleDir" | "object" | "imageEngine">): Promise<LoadedPipeline> {
  const t0 = performance.now();
  const bundle = await ModelBundle.open(fsBundleReader(o.bundleDir));
  const engine = o.imageEngine === "wasm" ? await loadWasmImageEncoder(bundle) : undefined;
  const encode = async (pixels: Float32Array) => (engine ? engine.encode(pixels) : encodeImage(bundle, pixels));
  if (!engine) await bundle.session("image");
  await bundle.session("fewShotHead");
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(await bundle.readFile("vocabulary"))));
  const text = await objectTextFeatures(bundle, tokenizer, o.object);
  const textFeaturesMs = performance.now() - t1;
  return { bundle, encode, text, ...(engine ? { kernel: engine.kind } : {}), loadMs, textFeaturesMs };
}

/** One zero-shot score of `image` as the service computes it (decode .. map PNG), with each stage's wall ms. */
export async function zeroShotOnce(p: LoadedPipeline, image: Uint8Array, pixelBuffer: Float32Array) {
  const m = p.bundle.manifest;
  const lap = stopwatch();
  const decoded = decodeImage(image, { maxPixels: MAX_PIXELS, scratch: decodeScratch, kernel: nodeImageKernel() });
  const decodeMs = lap();
  const pixels = preprocess(decoded, m.imageSize, m.mean, m.std, { scratch: resizeScratch, out: pixelBuffer, kernel: nodeImageKernel() });
  const preprocessMs = lap();
  const cpuBefore = processCpuMs();
  const encoding = await p.encode(pixels);
  const encoderMs = lap();
  // The process's CPU time over the encoder: unlike wall time, not stretched by other work on a shared machine.
  const encoderCpuMs = processCpuMs() - cpuBefore;
  const zs = zeroShotFromEncoding(p.bundle, encoding, p.text);
  const scoringMs = lap();
  const mapMs = encodeMap(zs.zeroShotMap, m.imageSize, decoded.width, decoded.height);
  const ms = { decode: decodeMs, preprocess: preprocessMs, encoder: encoderMs, scoring: scoringMs, map: mapMs };
  return { zs, decoded, ms, encoderCpuMs };
}

export async function runPipelineBenchmark(o: PipelineRunOptions): Promise<PipelineRunResult> {
  const p = await loadPipeline(o);
  const m = p.bundle.manifest;
  const shotEncodings = [];
  for (const s of o.shots.slice(0, Math.max(0, ...o.ks))) {
    shotEncodings.push(await p.encode(preprocess(decodeImage(s, { maxPixels: MAX_PIXELS }), m.imageSize, m.mean, m.std, { kernel: nodeImageKernel() })));
  }

  const samples: Record<string, Record<string, number[]>> = {};
  const add = (mode: string, stage: string, ms: number) => {
    samples[mode] ??= {};
    samples[mode][stage] ??= [];
    samples[mode][stage].push(ms);
  };
  const pixelBuffer = new Float32Array(3 * m.imageSize * m.imageSize);
  for (let run = -1; run < o.runs; run++) {
    const keep = run >= 0; // run -1 warms up every path
    const { zs, decoded, ms, encoderCpuMs } = await zeroShotOnce(p, o.image, pixelBuffer);
    const { decode: decodeMs, preprocess: preprocessMs, encoder: encoderMs, scoring: zeroShotMs, map: mapMs } = ms;
    if (keep) {
      add("zero_shot", "encoder_cpu", encoderCpuMs);
      for (const [stage, t] of Object.entries(ms)) add("zero_shot", stage, t);
      add("zero_shot", "total", decodeMs + preprocessMs + encoderMs + zeroShotMs + mapMs);
    }
    for (const k of o.ks) {
      const memory = buildMemory(p.bundle, shotEncodings.slice(0, k));
      const lapK = stopwatch();
      const fs = await fewShotFromZeroShot(p.bundle, zs, memory);
      const headMs = lapK();
      const fsMapMs = encodeMap(fs.combinedMap, m.imageSize, decoded.width, decoded.height);
      if (keep) {
        const mode = `few_shot_k${k}`;
        add(mode, "decode", decodeMs);
        add(mode, "preprocess", preprocessMs);
        add(mode, "encoder", encoderMs);
        add(mode, "scoring", zeroShotMs + headMs);
        add(mode, "few_shot_head", headMs);
        add(mode, "map", fsMapMs);
        add(mode, "total", decodeMs + preprocessMs + encoderMs + zeroShotMs + headMs + fsMapMs);
      }
    }
  }
  const summarise = (stages: Record<string, number[]>): StageTimes =>
    Object.fromEntries(Object.entries(stages).map(([s, v]) => [s, { p50: round(percentile(v, 50)), p95: round(percentile(v, 95)) }]));
  return {
    quantization: m.quantization,
    imageEngine: p.kernel ? "wasm" : "ort",
    ...(p.kernel ? { kernel: p.kernel } : {}),
    loadMs: round(p.loadMs),
    textFeaturesMs: round(p.textFeaturesMs),
    zeroShot: summarise(samples.zero_shot!),
    fewShot: Object.fromEntries(o.ks.map((k) => [`k${k}`, summarise(samples[`few_shot_k${k}`]!)])),
    peakRssMb: round(peakRssMb()),
    wasmMemoryMb: round(wasmMemoryBytes() / 2 ** 20),
  };
}

/** The service's map step (renderMap, with the image kernel as served): resized to the upload's size (capped), 8-bit PNG. Returns milliseconds. */
function encodeMap(map: Float32Array, size: number, width: number, height: number): number {
  const start = performance.now();
  const out = mapSize(width, height);
  encodeResizedMapPng(map, size, out.width, out.height, mapMax(map), nodeImageKernel());
  return performance.now() - start;
}

function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - last;
    last = now;
    return ms;
  };
}
