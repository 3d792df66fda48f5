// Scores one image for a tenant: zero-shot, or few-shot against one of the tenant's reference sets.
import { fewShotImageScore, zeroShotDecisionThreshold } from "../engine/anomaly/calibration";
import { mapMax } from "../engine/anomaly/few-shot";
import type { Region } from "../engine/anomaly/regions";
import { traceTotals } from "../engine/staging/stage-trace";
import { fewShotReference, fewShotReferenceInfo, type EmbeddingSource, type ReferenceSetContext } from "./few-shot-reference";
import { modelInput } from "./image-input";
import { modelSummary, randomModelWarning } from "./model-warnings";
import type { ModelRuntime, TextFeatureSource } from "./model-runtime";
import { SINGLE_SHOT_WARNING } from "./reference-sets";
import type { ScoreInput, ScoreResult } from "./score-contract";
import { mapRegions, renderMap, type MapOutput, type MapResolution } from "./score-outputs";

export interface ScoreOptions extends ScoreInput {
  /** "image" (default): the map PNG in the upload's coordinates (longer side capped); "model": the model's S x S. */
  mapResolution?: MapResolution;
}

export type ScoreResponse = ScoreResult & ScoreDetails;

/** A ScoreResponse as its JSON reads (the map PNG as a base64 string). */
export type ScoreResponseJson = ScoreResult & Omit<ScoreDetails, "map"> & { map: (Omit<MapOutput, "data"> & { data: string }) | null };

interface ScoreDetails {
  map: MapOutput | null;
  regions: Region[] | null;
  /** The map level regions are cut at (see README "Service"); null when regions were not asked for. */
  regionThreshold: number | null;
  image: { format: "jpeg" | "png"; width: number; height: number };
  referenceSet: { id: string; shots: number; calibration: string; features: EmbeddingSource } | null;
  textFeatures: TextFeatureSource;
  /** Milliseconds per stage. Workers' clocks only advance on I/O, so in production CPU-only stages may read 0. */
  timings: Record<string, number>;
  model: { name: string; random: boolean; modelHash: string };
  /** A staged bundle's hops: bytes each way, round trip and the stage's own work per stage (README "Stages"). */
  stages?: StageHopSummary[];
  warning?: string;
}

export interface StageHopSummary {
  stage: number;
  sentBytes: number;
  receivedBytes: number;
  roundTripMs: number;
  workMs: number;
}

/** The model is opened inside, so that its loading shows in the timings. */
export interface ScorePorts extends Omit<ReferenceSetContext, "runtime"> {
  runtime(): Promise<ModelRuntime>;
}

export async function scoreImage(ports: ScorePorts, tenant: string, input: ScoreOptions): Promise<ScoreResponse> {
  const clock = stopwatch();
  const ctx: ReferenceSetContext = { ...ports, runtime: await ports.runtime() };
  const { bundle } = ctx.runtime;
  const m = bundle.manifest;
  const timings: Record<string, number> = { model: clock.lap() };
  const image = modelInput(input.image, m, ctx.limits.maxImagePixels, ctx.imageKernel);
  const findReference = ctx.runtime.tower.banksInStages ? fewShotReferenceInfo : fewShotReference;
  let text: Awaited<ReturnType<ModelRuntime["textFeatures"]>>;
  let reference: Awaited<ReturnType<typeof findReference>> | undefined;
  let analysis: Awaited<ReturnType<ModelRuntime["tower"]["analyse"]>>;
  try {
    timings.decode = clock.lap();
    text = await ctx.runtime.textFeatures(input.object);
    timings.textFeatures = clock.lap();
    // Stages search their layers' banks themselves: the front then needs only the set's calibration.
    reference = input.referenceSet === undefined ? undefined : await findReference(ctx, tenant, input.referenceSet, input.object);
    if (reference) timings.referenceSet = clock.lap();
    const fewShot = reference && {
      memory: reference.embedding.memory,
      bank: { tenant, referenceSet: reference.manifest.id, modelHash: reference.embedding.modelHash, promptSet: reference.embedding.promptSet },
    };
    analysis = await ctx.runtime.tower.analyse(image.pixels, text.features, fewShot);
  } finally {
    image.release(); // the model has copied the pixels (or failed)
  }
  timings.inference = round(clock.lap() - (analysis.fewShot?.ms ?? 0));
  if (analysis.stages) {
    const totals = traceTotals(analysis.stages);
    timings.stages = round(totals.stagesMs);
    timings.hop = round(totals.hopMs);
  }

  let score = analysis.zeroShotScore;
  let threshold = zeroShotDecisionThreshold;
  let map = analysis.zeroShotMap;
  // Zero-shot: the map sums one abnormal probability per layer, so "mean probability over layers >= 0.5".
  let regionThreshold = 0.5 * m.layers.zeroShot.length;
  const warnings = [randomModelWarning(m)];
  if (reference && analysis.fewShot) {
    const { calibration } = reference.embedding;
    score = fewShotImageScore(analysis.zeroShotScore, analysis.fewShot.combinedMax, calibration);
    threshold = calibration.threshold;
    map = analysis.fewShot.combinedMap;
    // Few-shot: the combined-map level at which the calibrated term g(max) reaches 0.5 (zStar spreads above normal).
    regionThreshold = calibration.center + calibration.zStar * calibration.spread;
    if (calibration.method === "single-shot-prior") warnings.push(SINGLE_SHOT_WARNING);
    timings.fewShot = round((analysis.fewShot.ms ?? 0) + clock.lap());
  }

  const size = m.imageSize;
  const mapOut = input.map === "png" ? await renderMap(map, size, mapMax(map), image, input.mapResolution ?? "image", ctx.imageKernel) : null;
  timings.map = clock.lap();
  const regions = input.regions ? mapRegions(map, size, regionThreshold, image) : null;
  timings.regions = clock.lap();
  timings.total = clock.total();
  const warning = warnings.filter(Boolean).join(" ");
  return {
    object: input.object,
    mode: reference ? "few-shot" : "zero-shot",
    score,
    isAnomalous: score >= threshold,
    threshold,
    map: mapOut,
    regions,
    regionThreshold: input.regions ? regionThreshold : null,
    image: { format: image.format, width: image.width, height: image.height },
    referenceSet: reference
      ? { id: reference.manifest.id, shots: reference.manifest.shots.length, calibration: reference.embedding.calibration.method, features: reference.source }
      : null,
    textFeatures: text.source,
    timings,
    model: modelSummary(m),
    ...(analysis.stages ? { stages: analysis.stages.hops.map((h) => ({ ...h, roundTripMs: round(h.roundTripMs), workMs: round(h.workMs) })) } : {}),
    ...(warning ? { warning } : {}),
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function stopwatch(): { lap(): number; total(): number } {
  const start = performance.now();
  let last = start;
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
