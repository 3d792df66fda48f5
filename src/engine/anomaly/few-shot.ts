// Few-shot memory banks and maps: raw patch tokens of the reference shots, nearest-neighbour distance maps.
import { ScratchBytes } from "../image/scratch-bytes";
import { upsampleAlignCorners } from "./upsample";

/** One layer's upsampled values while they are added into the map (used within one call): at most 4 MB kept. */
const upsampledScratch = new ScratchBytes(4 * 2 ** 20);

/**
 * Memory bank of one layer: the tapped tokens of every shot ([1 + G*G, width] each, class token first)
 * without their class token, concatenated in shot order -> [k*G*G, width]. No normalisation.
 */
export function memoryBankFromShots(tokensPerShot: readonly Float32Array[], width: number): Float32Array {
  if (tokensPerShot.length === 0) throw new RangeError("memory bank needs at least one shot");
  const rows = tokensPerShot[0].length / width;
  if (!Number.isInteger(rows) || rows < 2) throw new RangeError(`shot tokens (${tokensPerShot[0].length} values) are not [1 + P, ${width}]`);
  const patchValues = (rows - 1) * width;
  const bank = new Float32Array(tokensPerShot.length * patchValues);
  tokensPerShot.forEach((tokens, shot) => {
    if (tokens.length !== rows * width) {
      throw new RangeError(`shot ${shot} has ${tokens.length} token values, shot 0 has ${rows * width}`);
    }
    bank.set(tokens.subarray(width), shot * patchValues);
  });
  return bank;
}

/**
 * Sum over few-shot layers of the upsampled (align_corners=True) per-patch distances min(1 - cos),
 * each [G*G] row-major -> [size, size].
 */
export function fewShotMap(distancesPerLayer: readonly Float32Array[], grid: number, size: number): Float32Array {
  const map = new Float32Array(size * size);
  const upsampled = upsampledScratch.float32(size * size);
  for (const distances of distancesPerLayer) {
    if (distances.length !== grid * grid) throw new RangeError(`distances have ${distances.length} values, grid ${grid}x${grid}`);
    upsampleAlignCorners(distances, 1, grid, size, upsampled);
    for (let i = 0; i < map.length; i++) map[i] += upsampled[i];
  }
  return map;
}

/** Element-wise a + b (combined map = zero-shot map + few-shot map). */
export function combineMaps(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new RangeError(`cannot combine maps of ${a.length} and ${b.length} values`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

/** Maximum of a map (-Infinity for an empty one). */
export function mapMax(map: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) if (map[i] > max) max = map[i];
  return max;
}
