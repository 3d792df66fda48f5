// Runs the detector over one object folder and computes test.py's metrics, streaming maps into a PixelScoreStore.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { fewShotImageScore, type FewShotCalibration } from "../engine/anomaly/calibration";
import { analyseFewShot, analyseZeroShot, buildMemory, type FewShotMemory } from "../engine/detector/analyse";
import { calibrateShots } from "../engine/detector/shot-calibration";
import { objectTextFeatures, type TextTokenizer } from "../engine/detector/text-features";
import { decodeImage } from "../engine/image/decode";
import type { DecodedImage } from "../engine/image/decoded-image";
import { resizeMaskBilinear } from "../engine/image/mask";
import { preprocess } from "../engine/image/preprocess";
import { resizeImage } from "../engine/image/resize-image";
import { encodeImage } from "../engine/runtime/clip-encoders";
import type { ModelBundle } from "../engine/runtime/model-bundle";
import { rankingMetrics, type RankingMetrics } from "../metrics/classification";
import { PixelScoreStore } from "../metrics/pixel-store";
import { rocCurve, type CurvePoints } from "../metrics/roc-curve";
import { sortScores } from "../metrics/sorted-scores";
import { drawShots, spreadSubset, type ObjectFolder } from "./dataset-scan";
import { metricSet, type MetricSet } from "./metric-set";
import { overlayPng } from "./overlay";
import { Progress } from "./progress";

export type EvalMode = "zero-shot" | "few-shot";

export interface EvalSettings {
  bundle: ModelBundle;
  tokenizer: TextTokenizer;
  mode: EvalMode;
  /** Few-shot reference shots, drawn with `seed` from train/good. */
  k: number;
  seed: number;
  /** At most this many test images per object, spread over the defect types. */
  limit?: number;
  /** Writes OBJECT/DEFECT/STEM.png overlays here. */
  outDir?: string;
  /** Largest decoded image accepted (width * height); default 64e6. */
  maxPixels?: number;
}

export interface ImageRecord {
  path: string;
  defect: string;
  anomalous: boolean;
  zeroShotScore: number;
  /** Max of the evaluated map (zero-shot map, or combined map in few-shot). */
  mapMax: number;
  /** The image score the metrics use: the zero-shot score, or the calibrated few-shot score. */
  score: number;
  /** Few-shot: test.py's 0.5 * (zero-shot score + max(combined) min-max normalised over the object's test set). */
  batchScore?: number;
  /** Overlay PNG, relative to outDir. */
  overlay?: string;
}

export interface ObjectResult {
  object: string;
  mode: EvalMode;
  shots: string[];
  calibration?: FewShotCalibration;
  metrics: MetricSet;
  /** Few-shot: image AUROC / AP / F1-max of batchScore (needs the whole test set, unlike `score`). */
  batchImage?: RankingMetrics;
  imageRoc: CurvePoints;
  pixelRoc: CurvePoints;
  images: ImageRecord[];
  pixels: number;
  storeBytes: number;
  /** False when the pixel scores outgrew the exact budget and were kept as histograms (metrics approximate). */
  pixelMetricsExact: boolean;
  timing: { setupSeconds: number; seconds: number; msPerImage: number; metricSeconds: number; msPerImageByStage: StageTimes };
}

/** Milliseconds per stage: image = read + decode + resize to S; mask = read + decode + resize; model = preprocess +
 * encoders + maps; store = keeping the map for the metrics; overlay = PNG written with --out. */
export interface StageTimes {
  image: number;
  mask: number;
  model: number;
  store: number;
  overlay: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

async function loadImage(path: string, maxPixels: number): Promise<DecodedImage> {
  // No EXIF rotation: the reference (PIL Image.open) sees the stored pixels.
  return decodeImage(new Uint8Array(await readFile(path)), { maxPixels, applyExifOrientation: false });
}

/** The image bicubic-resized to S x S (PIL semantics, alpha and palette handled), as a plain L / RGB image. */
function atModelSize(image: DecodedImage, size: number): DecodedImage {
  const data = resizeImage(image, size, size, "bicubic");
  return { width: size, height: size, channels: image.channels, data, mode: image.channels === 1 ? "L" : "RGB" };
}

function perImage(stages: StageTimes, count: number): StageTimes {
  const n = Math.max(1, count);
  return { image: stages.image / n, mask: stages.mask / n, model: stages.model / n, store: stages.store / n, overlay: stages.overlay / n };
}

export async function evaluateObject(obj: ObjectFolder, o: EvalSettings): Promise<ObjectResult> {
  const started = performance.now();
  const { bundle } = o;
  const m = bundle.manifest;
  const size = m.imageSize;
  const maxPixels = o.maxPixels ?? 64e6;
  const pixelsOf = (image: DecodedImage) => preprocess(image, size, m.mean, m.std);
  const textFeatures = await objectTextFeatures(bundle, o.tokenizer, obj.name);

  let shots: string[] = [];
  let memory: FewShotMemory | undefined;
  let calibration: FewShotCalibration | undefined;
  if (o.mode === "few-shot") {
    shots = drawShots(obj.train, o.k, o.seed);
    const encodings = [];
    for (const shot of shots) encodings.push(await encodeImage(bundle, pixelsOf(await loadImage(shot, maxPixels))));
    memory = buildMemory(bundle, encodings);
    calibration = await calibrateShots(bundle, encodings, textFeatures);
  }
  // Sessions are created on first use: open them here so that per-image timings measure steady state.
  await bundle.session("image");
  if (o.mode === "few-shot") await bundle.session("fewShotHead");
  const setupSeconds = seconds(started);

  const test = spreadSubset(obj.test, o.limit);
  // The maps are bounded (a probability per zero-shot layer, 1 - cosine in [0, 2] per few-shot layer), so past its
  // exact budget the store can keep histograms over that range: memory stays flat over any number of images.
  const mapBound = m.layers.zeroShot.length + (o.mode === "few-shot" ? 2 * m.layers.fewShot.length : 0);
  const store = new PixelScoreStore(size, size, test.length, { range: [0, mapBound] });
  const images: ImageRecord[] = [];
  const progress = new Progress(`${obj.name} ${o.mode}`, test.length);
  const stages: StageTimes = { image: 0, mask: 0, model: 0, store: 0, overlay: 0 };
  let mark = performance.now();
  const lap = (stage: keyof StageTimes) => {
    const now = performance.now();
    stages[stage] += now - mark;
    mark = now;
  };
  const loopStart = performance.now();
  for (const item of test) {
    mark = performance.now();
    // Resized once: preprocess (same size: a copy) and the overlay both start from the S x S 8-bit image.
    const image = atModelSize(await loadImage(item.path, maxPixels), size);
    lap("image");
    const mask = item.mask ? resizeMaskBilinear(decodeImage(new Uint8Array(await readFile(item.mask)), { maxPixels }), size) : null;
    lap("mask");
    let map: Float32Array;
    let zeroShotScore: number;
    let score: number;
    if (memory && calibration) {
      const a = await analyseFewShot(bundle, pixelsOf(image), textFeatures, memory);
      map = a.combinedMap;
      zeroShotScore = a.zeroShotScore;
      score = fewShotImageScore(a.zeroShotScore, a.combinedMax, calibration);
    } else {
      const a = await analyseZeroShot(bundle, pixelsOf(image), textFeatures);
      map = a.zeroShotMap;
      zeroShotScore = score = a.zeroShotScore;
    }
    lap("model");
    store.add(map, mask);
    let mapMax = -Infinity;
    for (let i = 0; i < map.length; i++) if (map[i]! > mapMax) mapMax = map[i]!;
    lap("store");
    const record: ImageRecord = { path: item.path, defect: item.defect, anomalous: item.anomalous, zeroShotScore, mapMax, score };
    if (o.outDir) {
      record.overlay = join(obj.name, item.defect, `${basename(item.path, extname(item.path))}.png`);
      const file = join(o.outDir, record.overlay);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, overlayPng(image, map, size, mask));
    }
    lap("overlay");
    images.push(record);
    progress.tick();
  }
  const loopSeconds = seconds(loopStart);

  const metricStart = performance.now();
  const labels = images.map((r) => (r.anomalous ? 1 : 0));
  const imageSorted = sortScores(
    Float64Array.from(images, (r) => r.score),
    labels,
  );
  let batchImage: RankingMetrics | undefined;
  if (o.mode === "few-shot") {
    const lo = Math.min(...images.map((r) => r.mapMax));
    const hi = Math.max(...images.map((r) => r.mapMax));
    for (const r of images) r.batchScore = 0.5 * (r.zeroShotScore + (r.mapMax - lo) / (hi - lo));
    batchImage = rankingMetrics(
      sortScores(
        Float64Array.from(images, (r) => r.batchScore!),
        labels,
      ),
    );
  }
  const storeBytes = store.bytes;
  const pixel = store.metrics();
  return {
    object: obj.name,
    mode: o.mode,
    shots,
    calibration,
    metrics: metricSet(rankingMetrics(imageSorted), pixel),
    batchImage,
    imageRoc: rocCurve(imageSorted),
    pixelRoc: pixel.roc,
    images,
    pixels: pixel.pixels,
    pixelMetricsExact: store.exact,
    storeBytes,
    timing: {
      setupSeconds,
      seconds: loopSeconds,
      msPerImage: (1000 * loopSeconds) / Math.max(1, images.length),
      metricSeconds: seconds(metricStart),
      msPerImageByStage: perImage(stages, images.length),
    },
  };
}
