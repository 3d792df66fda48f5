// The engine's image encoder against onnxruntime-web on one bundle's image graph, in one process: load both, check
// they agree, then time them interleaved run by run (CPU time), and report each one's wasm memory.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeImage } from "../engine/runtime/clip-encoders";
import { parseBundleManifest } from "../engine/runtime/bundle-manifest";
import { ModelBundle } from "../engine/runtime/model-bundle";
import type { GemmKind } from "../engine/wasm/int8-gemm";
import { timeInterleaved } from "./gemm-run";
import { loadWasmImageEncoder } from "./int8-gemm-node";
import { processCpuMs, round } from "./stats";
import { installWasmMemoryProbe, wasmMemoryBytes } from "./wasm-memory-probe";

export interface EngineEncoderRow {
  encoder: string;
  /** Median CPU ms per image (process user + system), interleaved with the other encoders. */
  cpuMs: number;
  /** Ratio to onnxruntime-web's CPU ms in the same run. */
  vsOrt: number;
  /** Largest |x - x_ort| / max |x_ort| over image features, taps and projections. */
  maxRelDiffVsOrt: number;
  wasmMemoryMb: number;
}

export interface EngineProfileRow {
  op: string;
  /** CPU ms per image, mean over the profiled runs. */
  ms: number;
  percent: number;
}

export interface EngineEncoderResult {
  quantization: string;
  imageSize: number;
  runs: number;
  rows: EngineEncoderRow[];
  /** Per engine kind, its ops' CPU time per image (only with `profile`), after the timed runs. */
  profiles?: { encoder: string; totalMs: number; rows: EngineProfileRow[] }[];
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let big = 1e-30;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    big = Math.max(big, Math.abs(b[i]!));
  }
  return worst / big;
}

export async function runEngineEncoderBenchmark(bundleDir: string, runs: number, kinds: GemmKind[], profile = false): Promise<EngineEncoderResult> {
  installWasmMemoryProbe();
  const manifest = parseBundleManifest(JSON.parse(readFileSync(join(bundleDir, "manifest.json"), "utf8")));
  const bundle = await ModelBundle.open({ read: async (p) => new Uint8Array(readFileSync(join(bundleDir, p))) });
  const s = manifest.imageSize;
  const pixels = new Float32Array(3 * s * s).map((_, i) => Math.sin(i * 0.001));
  const reference = await encodeImage(bundle, pixels);
  const ortMemory = wasmMemoryBytes(); // before any engine module exists: ORT's heap after its first run
  const engines = [];
  for (const kind of kinds) engines.push(await loadWasmImageEncoder(bundle, kind));
  const diffs = engines.map((e) => {
    const enc = e.encode(pixels);
    let worst = relDiff(enc.imageFeatures, reference.imageFeatures);
    for (const [l, t] of reference.tokens) worst = Math.max(worst, relDiff(enc.tokens.get(l)!, t));
    for (const [l, p] of reference.projected) worst = Math.max(worst, relDiff(enc.projected.get(l)!, p));
    return worst;
  });
  const times = await timeInterleaved(runs, [() => encodeImage(bundle, pixels), ...engines.map((e) => () => e.encode(pixels))]);
  const engineMemory = engines.reduce((sum, e) => sum + e.memoryBytes, 0);
  const ortHeap = wasmMemoryBytes() - engineMemory; // ORT's heap may have grown during the timed runs
  const mb = (b: number) => round(b / 2 ** 20);
  const rows: EngineEncoderRow[] = [
    { encoder: "onnxruntime-web", cpuMs: round(times[0]!), vsOrt: 1, maxRelDiffVsOrt: 0, wasmMemoryMb: mb(Math.max(ortHeap, ortMemory)) },
    ...engines.map((e, i) => ({
      encoder: `engine (${e.kind})`,
      cpuMs: round(times[i + 1]!),
      vsOrt: round(times[i + 1]! / times[0]!, 3),
      maxRelDiffVsOrt: Number(diffs[i]!.toExponential(2)),
      wasmMemoryMb: mb(e.memoryBytes),
    })),
  ];
  if (!profile) return { quantization: manifest.quantization, imageSize: s, runs, rows };
  // Profiling adds a clock read around every kernel call, so it runs after (and apart from) the timed runs.
  const profiles = engines.map((e) => {
    const totals = new Map<string, number>();
    e.profile = { clock: processCpuMs, totals };
    const t0 = processCpuMs();
    for (let i = 0; i < runs; i++) e.encode(pixels);
    const total = (processCpuMs() - t0) / runs;
    e.profile = undefined;
    const opRows = [...totals].map(([op, ms]) => ({ op, ms: round(ms / runs, 1), percent: round((100 * ms) / runs / total, 1) }));
    const listed = opRows.reduce((a, r) => a + r.ms, 0);
    opRows.push({ op: "everything else (JS between calls)", ms: round(total - listed, 1), percent: round((100 * (total - listed)) / total, 1) });
    return { encoder: `engine (${e.kind})`, totalMs: round(total, 1), rows: opRows.sort((a, b) => b.ms - a.ms) };
  });
  return { quantization: manifest.quantization, imageSize: s, runs, rows, profiles };
}
