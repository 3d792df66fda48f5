// Where onnxruntime-web's encoder milliseconds go: ORT's own per-node profiler, aggregated per op type.
import fs, { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBundleManifest } from "../engine/runtime/bundle-manifest";
import { imageGraphNames } from "../engine/runtime/graph-names";
import { round } from "./stats";

/** One event of ORT's profiler (Chrome trace format). */
export interface ProfileEvent {
  cat: string;
  name: string;
  ts: number; // microseconds
  dur: number; // microseconds
  args?: { op_name?: string; input_type_shape?: unknown; output_type_shape?: unknown };
}

export interface OpTypeRow {
  opType: string;
  /** Nodes of this type run per encoder call. */
  count: number;
  /** Mean milliseconds per encoder call. */
  ms: number;
  /** Share of the summed node time. */
  percent: number;
}

export interface ProfileSummary {
  runs: number;
  /** Mean of ORT's `model_run` events (the whole session run). */
  modelRunMs: number;
  /** Sum of the node kernels' times per run; the rest of `model_run` is ORT's executor overhead between nodes. */
  nodeMs: number;
  rows: OpTypeRow[];
  /** Per op type and input shapes (e.g. the attention MatMuls apart from the projections). */
  detail: (OpTypeRow & { shapes: string })[];
}

/** Extracts the trace events from what ORT's WASM build printed: one JSON array, an event per line. */
export function parseProfileOutput(text: string): ProfileEvent[] {
  const events: ProfileEvent[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim().replace(/,$/, "");
    if (!t.startsWith('{"cat"')) continue;
    events.push(JSON.parse(t) as ProfileEvent);
  }
  return events;
}

/**
 * Groups node kernel events per op type, per run. Runs are ORT's `model_run` session events; the first `skipRuns`
 * (warm-up) are left out.
 */
export function summariseProfile(events: readonly ProfileEvent[], skipRuns = 1): ProfileSummary {
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run").sort((a, b) => a.ts - b.ts);
  const kept = runs.slice(skipRuns);
  if (kept.length === 0) throw new Error(`profile has ${runs.length} model_run events, none left after ${skipRuns} warm-up`);
  const inKept = (e: ProfileEvent) => kept.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
  const nodes = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time") && inKept(e));
  const byType = new Map<string, { count: number; us: number }>();
  const byShape = new Map<string, { opType: string; shapes: string; count: number; us: number }>();
  for (const e of nodes) {
    const opType = e.args?.op_name ?? "?";
    const t = byType.get(opType) ?? { count: 0, us: 0 };
    t.count++;
    t.us += e.dur;
    byType.set(opType, t);
    const shapes = JSON.stringify(e.args?.input_type_shape ?? []).replace(/"|\{|\}/g, "");
    const key = `${opType} ${shapes}`;
    const s = byShape.get(key) ?? { opType, shapes, count: 0, us: 0 };
    s.count++;
    s.us += e.dur;
    byShape.set(key, s);
  }
  const n = kept.length;
  const totalUs = nodes.reduce((a, e) => a + e.dur, 0);
  const row = (opType: string, v: { count: number; us: number }): OpTypeRow => ({
    opType,
    count: round(v.count / n, 1),
    ms: round(v.us / n / 1000, 1),
    percent: round((100 * v.us) / totalUs, 1),
  });
  return {
    runs: n,
    modelRunMs: round(kept.reduce((a, r) => a + r.dur, 0) / n / 1000, 1),
    nodeMs: round(totalUs / n / 1000, 1),
    rows: [...byType].map(([k, v]) => row(k, v)).sort((a, b) => b.ms - a.ms),
    detail: [...byShape.values()].map((v) => ({ ...row(v.opType, v), shapes: v.shapes })).sort((a, b) => b.ms - a.ms),
  };
}

/** Runs the bundle's image graph `runs + 1` times with ORT's profiler on and returns what it printed. */
export async function profileEncoder(bundleDir: string, runs: number): Promise<ProfileSummary> {
  const manifest = parseBundleManifest(JSON.parse(readFileSync(join(bundleDir, "manifest.json"), "utf8")));
  const weightsFile = manifest.files.imageWeights.path;
  const graph = readFileSync(join(bundleDir, manifest.files.image.path));
  const weights = readFileSync(join(bundleDir, weightsFile));
  const s = manifest.imageSize;
  const pixels = new Float32Array(3 * s * s).map((_, i) => Math.sin(i * 0.001));
  const { OnnxModel } = await import("../engine/runtime/onnx-session");
  const model = await OnnxModel.load(graph, { enableProfiling: true }, { path: weightsFile, data: weights });
  for (let i = 0; i < runs + 1; i++) await model.run({ [imageGraphNames.pixels]: { type: "float32", data: pixels, dims: [1, 3, s, s] } });
  // The WASM build prints the trace to fd 1 (emscripten's `fs.writeSync(1, ...)`): caught here, not shown.
  let printed = "";
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 1 && typeof data === "string") {
      printed += data;
      return data.length;
    }
    return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync;
  try {
    await model.endProfiling();
    // ORT's endProfiling does not wait for its own (async) call: let it print.
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    fs.writeSync = writeSync;
  }
  await model.release();
  return summariseProfile(parseProfileOutput(printed), 1);
}
