// The zero-shot request pipeline: decode, preprocess, text features, image tower, score and map PNG, with timings.
import { zeroShotDecisionThreshold } from "../engine/anomaly/calibration";
import { mapMax } from "../engine/anomaly/few-shot";
import { encodeMapPng, resizeMapBilinear } from "../engine/anomaly/map-encoding";
import { analyseZeroShot } from "../engine/detector/analyse";
import { decodeImage } from "../engine/image/decode";
import { preprocess } from "../engine/image/preprocess";
import { encodeBase64 } from "./base64";
import type { ModelRuntime, TextFeatureSource } from "./model-runtime";

/** Largest accepted upload (width * height), checked from the header before decoding: 4 MP is 12 MB of RGB. */
export const MAX_IMAGE_PIXELS = 4 * 1024 * 1024;
/** The map PNG has the upload's aspect ratio and size, but its longer side is capped here. */
export const MAP_MAX_SIDE = 1024;

export interface ZeroShotResponse {
  object: string;
  mode: "zero-shot";
  score: number;
  threshold: number;
  isAnomalous: boolean;
  map: { format: "png"; width: number; height: number; max: number; data: string };
  textFeatures: TextFeatureSource;
  /** Milliseconds per stage. Workers' clocks only advance on I/O, so in production CPU-only stages may read 0. */
  timings: Record<"decode" | "textFeatures" | "inference" | "map" | "total", number>;
}

export function mapSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAP_MAX_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function scoreZeroShot(runtime: ModelRuntime, objectName: string, imageBytes: Uint8Array): Promise<ZeroShotResponse> {
  const m = runtime.bundle.manifest;
  const clock = stopwatch();
  const decoded = decodeImage(imageBytes, { maxPixels: MAX_IMAGE_PIXELS });
  const pixels = preprocess(decoded, m.imageSize, m.mean, m.std);
  const decode = clock.lap();
  const { features, source } = await runtime.textFeatures(objectName);
  const textFeatures = clock.lap();
  const analysis = await analyseZeroShot(runtime.bundle, pixels, features);
  const inference = clock.lap();
  const size = mapSize(decoded.width, decoded.height);
  const map = resizeMapBilinear(analysis.zeroShotMap, m.imageSize, size.width, size.height);
  const max = mapMax(analysis.zeroShotMap);
  const png = encodeMapPng(map, size, max);
  const mapMs = clock.lap();
  const score = analysis.zeroShotScore;
  return {
    object: objectName,
    mode: "zero-shot",
    score,
    threshold: zeroShotDecisionThreshold,
    isAnomalous: score >= zeroShotDecisionThreshold,
    map: { format: "png", width: size.width, height: size.height, max, data: encodeBase64(png) },
    textFeatures: source,
    timings: { decode, textFeatures, inference, map: mapMs, total: clock.total() },
  };
}

function stopwatch(): { lap(): number; total(): number } {
  const start = performance.now();
  let last = start;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    lap() {
      const now = performance.now();
      const ms = now - last;
      last = now;
      return round(ms);
    },
    total: () => round(performance.now() - start),
  };
}
