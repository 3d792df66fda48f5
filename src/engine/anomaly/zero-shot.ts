// Zero-shot scoring: image score and per-layer anomaly maps from CLIP features against the text features T [E, 2].
import { ScratchBytes } from "../image/scratch-bytes";
import { upsampleAlignCorners } from "./upsample";

/** One layer's upsampled values while they are added into the map (used within one call): at most 4 MB kept. */
const upsampledScratch = new ScratchBytes(4 * 2 ** 20);

/** CLIP's logit scale as used by the method (fixed 100, not the checkpoint's logit_scale). */
export const LOGIT_SCALE = 100;

/** Abnormal probability of a two-way softmax, computed stably: 1 / (1 + exp(normal - abnormal)). */
export function abnormalProbability(normalLogit: number, abnormalLogit: number): number {
  return 1 / (1 + Math.exp(normalLogit - abnormalLogit));
}

function embedDimOf(textFeatures: Float32Array): number {
  if (textFeatures.length === 0 || textFeatures.length % 2 !== 0) {
    throw new RangeError(`text features must be [E, 2], got ${textFeatures.length} values`);
  }
  return textFeatures.length / 2;
}

/** softmax(100 * f @ T)[1] for the normalised image embedding f [E]. */
export function zeroShotScore(imageFeatures: Float32Array, textFeatures: Float32Array): number {
  const e = embedDimOf(textFeatures);
  if (imageFeatures.length !== e) throw new RangeError(`image features have ${imageFeatures.length} values, text features E = ${e}`);
  let normal = 0;
  let abnormal = 0;
  for (let i = 0; i < e; i++) {
    normal += imageFeatures[i] * textFeatures[i * 2];
    abnormal += imageFeatures[i] * textFeatures[i * 2 + 1];
  }
  return abnormalProbability(LOGIT_SCALE * normal, LOGIT_SCALE * abnormal);
}

/**
 * 100 * p @ T for the adapter output p [G*G, E] (rows already L2-normalised), laid out [2, G, G]:
 * channel 0 (normal) for all patches, then channel 1 (abnormal).
 */
export function zeroShotLayerLogits(projected: Float32Array, textFeatures: Float32Array): Float32Array {
  const e = embedDimOf(textFeatures);
  if (projected.length % e !== 0) throw new RangeError(`projected tokens (${projected.length} values) are not [P, ${e}]`);
  const patches = projected.length / e;
  const out = new Float32Array(2 * patches);
  for (let p = 0; p < patches; p++) {
    const base = p * e;
    let normal = 0;
    let abnormal = 0;
    for (let i = 0; i < e; i++) {
      const v = projected[base + i];
      normal += v * textFeatures[i * 2];
      abnormal += v * textFeatures[i * 2 + 1];
    }
    out[p] = LOGIT_SCALE * normal;
    out[patches + p] = LOGIT_SCALE * abnormal;
  }
  return out;
}

/**
 * Abnormal minus normal logit per patch [G*G] of one layer (from zeroShotLayerLogits): all the zero-shot map needs of
 * that layer. A stage Worker that holds the layer sends this instead of the projected tokens [G*G, E].
 */
export function zeroShotLogitDifference(projected: Float32Array, textFeatures: Float32Array): Float32Array {
  const logits = zeroShotLayerLogits(projected, textFeatures);
  const patches = logits.length / 2;
  const diff = new Float32Array(patches);
  for (let p = 0; p < patches; p++) diff[p] = logits[patches + p] - logits[p];
  return diff;
}

/**
 * Sum over layers of softmax-over-channels(upsample(logits))[abnormal], [size, size] row-major.
 * The logits are upsampled BEFORE the softmax, as in the reference. Bilinear upsampling is linear, so
 * upsampling the logit difference (abnormal - normal) and applying the sigmoid is the same computation
 * with half the interpolation work.
 */
export function zeroShotMap(projectedPerLayer: readonly Float32Array[], textFeatures: Float32Array, grid: number, size: number): Float32Array {
  return zeroShotMapFromDifferences(
    projectedPerLayer.map((projected) => zeroShotLogitDifference(projected, textFeatures)),
    grid,
    size,
  );
}

/** The zero-shot map from each layer's logit difference [G*G] (zeroShotLogitDifference). */
export function zeroShotMapFromDifferences(differencePerLayer: readonly Float32Array[], grid: number, size: number): Float32Array {
  const patches = grid * grid;
  const map = new Float32Array(size * size);
  const upsampled = upsampledScratch.float32(size * size);
  for (const diff of differencePerLayer) {
    if (diff.length !== patches) throw new RangeError(`projected tokens have ${diff.length} patches, grid ${grid}x${grid}`);
    upsampleAlignCorners(diff, 1, grid, size, upsampled);
    for (let i = 0; i < map.length; i++) map[i] += 1 / (1 + Math.exp(-upsampled[i]));
  }
  return map;
}
