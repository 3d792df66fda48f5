// Replays an oracle case's training/ folder (Node): one batch, Adam steps, losses and weights compared per step.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { readAdapterFile } from "../compiler/checkpoint/read-checkpoint-dir";
import { GoldenCase } from "../parity/golden-case";
import { Adam, adapterParameterList } from "./adam";
import { AdapterObjective, type AdapterParams, type TrainSample } from "./adapter-objective";
import { FrozenClip, readImageFile, readMaskFile } from "./frozen-clip";

/** The oracle's tolerances (README, "Expected agreement for training"). */
export const LOSS_REL_TOL = 1e-4;
export const WEIGHT_ABS_TOL = 1e-5;
/**
 * Gradients smaller than this (100 x Adam's eps) are within the reference's own fp32 noise: a one-ulp change of the
 * text features moves such a gradient by ~4e-8, and Adam's first step lr * g / (|g| + eps) turns that into up to
 * lr of weight change. Elements whose gradient falls below it at some step are compared separately from then on.
 */
export const GRAD_NOISE_FLOOR = 1e-6;

const manifestSchema = z.object({
  items: z.array(z.object({ class: z.string(), image: z.string(), mask: z.string().nullable() })).min(1),
  losses: z.array(z.object({ step: z.number().int(), loss: z.number(), per_layer_focal_dice: z.array(z.number()) })),
  arrays: z.record(z.string(), z.object({ file: z.string(), dtype: z.literal("float32"), shape: z.array(z.number().int()) })),
});

export interface OracleStep {
  step: number;
  loss: number;
  expectedLoss: number;
  lossRelError: number;
  /** Focal and dice per layer, pairwise, like the manifest's per_layer_focal_dice. */
  perLayer: number[];
  maxPerLayerError: number;
  /** max |ours - oracle| over the fc.{i}.weight and fc.{i}.bias elements whose gradient stayed above the noise floor. */
  maxWeightError: number;
  /** The same over every element. */
  maxWeightErrorAll: number;
  /** Elements whose gradient fell below GRAD_NOISE_FLOOR so far, of `parameters`. */
  illConditioned: number;
  parameters: number;
  /** Loss and every weight within tolerance, ill-conditioned elements included. */
  strictOk: boolean;
  ok: boolean;
}

export interface OracleReport {
  caseDir: string;
  imageSize: number;
  layers: number[];
  batch: number;
  steps: OracleStep[];
  losses: number[];
  maxWeightError: number[];
  encodeSeconds: number;
  stepSeconds: number[];
  ok: boolean;
}

export interface OracleOptions {
  caseDir: string;
  /** Default: ../../clip/bpe_simple_vocab_16e6.txt.gz relative to the case. */
  vocab?: string;
  onProgress?: (message: string) => void;
}

export async function replayTrainingOracle(o: OracleOptions): Promise<OracleReport> {
  const progress = o.onProgress ?? (() => {});
  const golden = new GoldenCase(o.caseDir);
  const p = golden.manifest.params;
  const trainingDir = join(o.caseDir, "training");
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(trainingDir, "manifest.json"), "utf8")));
  const clip = await FrozenClip.open({
    modelDir: join(o.caseDir, "model"),
    imageSize: p.image_size,
    layers: p.features,
    vocab: o.vocab ?? join(o.caseDir, "..", "..", "clip", "bpe_simple_vocab_16e6.txt.gz"),
    onProgress: progress,
  });
  const started = performance.now();
  const batch: TrainSample[] = [];
  for (const item of manifest.items) {
    progress(`encoding ${item.image}`);
    const tokens = await clip.patchTokens(clip.pixels(await readImageFile(golden.imagePath(item.image))));
    const mask = item.mask ? await readMaskFile(golden.imagePath(item.mask), clip.imageSize) : null;
    batch.push({ tokens, text: await clip.textFeatures(item.class), mask });
  }
  const encodeSeconds = (performance.now() - started) / 1000;

  const initial = await readAdapterFile(join(o.caseDir, "model", "adapter.safetensors"), {
    count: p.features.length,
    width: clip.width,
    embedDim: clip.embedDim,
  });
  const params: AdapterParams = {
    width: clip.width,
    embedDim: clip.embedDim,
    weights: initial.weights.map((t) => Float32Array.from(t.data)),
    biases: initial.biases.map((t) => Float32Array.from(t.data)),
  };
  const objective = new AdapterObjective(clip.grid, clip.imageSize, clip.width, clip.embedDim);
  const adam = new Adam(adapterParameterList(params.weights, params.biases));
  const expectedArray = (name: string): Float32Array => {
    const entry = manifest.arrays[name];
    if (!entry) throw new Error(`training manifest has no array ${name}`);
    const buf = readFileSync(join(trainingDir, entry.file));
    return new Float32Array(new Uint8Array(buf).buffer);
  };

  const list = adapterParameterList(params.weights, params.biases);
  const names = params.weights.flatMap((_, i) => [`fc.${i}.weight`, `fc.${i}.bias`]);
  const unstable = list.map((t) => new Uint8Array(t.length));
  const steps: OracleStep[] = [];
  const stepSeconds: number[] = [];
  for (const expected of manifest.losses) {
    const t0 = performance.now();
    const r = objective.lossAndGradients(params, batch);
    const grads = r.gradWeights.flatMap((g, i) => [g, r.gradBiases[i]!]);
    grads.forEach((g, k) => {
      markBelow(g, GRAD_NOISE_FLOOR, unstable[k]!);
    });
    adam.step(grads);
    stepSeconds.push((performance.now() - t0) / 1000);
    const perLayer = r.focal.flatMap((f, i) => [f, r.dice[i]!]);
    const maxPerLayerError = Math.max(...perLayer.map((v, i) => Math.abs(v - (expected.per_layer_focal_dice[i] ?? NaN))));
    let maxWeightError = 0;
    let maxWeightErrorAll = 0;
    list.forEach((t, k) => {
      const [stable, all] = maxAbsDiff(t, expectedArray(`step${expected.step}/${names[k]}`), unstable[k]!);
      maxWeightError = Math.max(maxWeightError, stable);
      maxWeightErrorAll = Math.max(maxWeightErrorAll, all);
    });
    const illConditioned = unstable.reduce((n, m) => n + m.reduce((a, b) => a + b, 0), 0);
    const parameters = list.reduce((n, t) => n + t.length, 0);
    const lossRelError = Math.abs(r.loss - expected.loss) / Math.abs(expected.loss);
    const lossOk = lossRelError <= LOSS_REL_TOL;
    const ok = lossOk && maxWeightError <= WEIGHT_ABS_TOL;
    const strictOk = lossOk && maxWeightErrorAll <= WEIGHT_ABS_TOL;
    steps.push({
      step: expected.step,
      loss: r.loss,
      expectedLoss: expected.loss,
      lossRelError,
      perLayer,
      maxPerLayerError,
      maxWeightError,
      maxWeightErrorAll,
      illConditioned,
      parameters,
      strictOk,
      ok,
    });
    progress(
      `step ${expected.step}: loss ${r.loss.toFixed(6)} (oracle ${expected.loss.toFixed(6)}), max weight error ${maxWeightError.toExponential(2)}` +
        ` (all ${maxWeightErrorAll.toExponential(2)}, ${illConditioned} ill-conditioned of ${parameters})`,
    );
  }
  return {
    caseDir: o.caseDir,
    imageSize: clip.imageSize,
    layers: clip.layers,
    batch: batch.length,
    steps,
    losses: steps.map((s) => s.loss),
    maxWeightError: steps.map((s) => s.maxWeightError),
    encodeSeconds,
    stepSeconds,
    ok: steps.length > 0 && steps.every((s) => s.ok),
  };
}

function markBelow(g: ArrayLike<number>, floor: number, mark: Uint8Array): void {
  for (let i = 0; i < g.length; i++) if (Math.abs(g[i]!) < floor) mark[i] = 1;
}

/** [max |a - b| where not excluded, max |a - b| everywhere]; NaN counts as Infinity. */
function maxAbsDiff(a: Float32Array, b: Float32Array, excluded: Uint8Array): [number, number] {
  if (a.length !== b.length) return [Infinity, Infinity];
  let stable = 0;
  let all = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const v = Number.isNaN(d) ? Infinity : d;
    all = Math.max(all, v);
    if (!excluded[i]) stable = Math.max(stable, v);
  }
  return [stable, all];
}
