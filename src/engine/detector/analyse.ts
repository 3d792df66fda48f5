// APRIL-GAN on one preprocessed image: zero-shot and few-shot analyses as separate, plainly named functions.
import { combineMaps, fewShotMap, mapMax, memoryBankFromShots } from "../anomaly/few-shot";
import { zeroShotMap, zeroShotScore } from "../anomaly/zero-shot";
import { encodeImage, fewShotDistances, type ImageEncoding } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";

export interface ZeroShotAnalysis {
  encoding: ImageEncoding;
  zeroShotScore: number;
  /** [size*size], sum over zero-shot layers of the abnormal probability. */
  zeroShotMap: Float32Array;
}

export interface FewShotAnalysis extends ZeroShotAnalysis {
  fewShotMap: Float32Array;
  combinedMap: Float32Array;
  combinedMax: number;
}

/** Memory bank per few-shot layer: [k*G*G, width] raw patch tokens of the shots, in shot order. */
export type FewShotMemory = Map<number, Float32Array>;

export function zeroShotFromEncoding(bundle: ModelBundle, encoding: ImageEncoding, textFeatures: Float32Array): ZeroShotAnalysis {
  const m = bundle.manifest;
  const projected = m.layers.zeroShot.map((l) => encoding.projected.get(l)!);
  return {
    encoding,
    zeroShotScore: zeroShotScore(encoding.imageFeatures, textFeatures),
    zeroShotMap: zeroShotMap(projected, textFeatures, m.grid, m.imageSize),
  };
}

export async function analyseZeroShot(bundle: ModelBundle, pixels: Float32Array, textFeatures: Float32Array): Promise<ZeroShotAnalysis> {
  return zeroShotFromEncoding(bundle, await encodeImage(bundle, pixels), textFeatures);
}

export function buildMemory(bundle: ModelBundle, shots: readonly ImageEncoding[]): FewShotMemory {
  const width = bundle.manifest.architecture.vision.width;
  const memory: FewShotMemory = new Map();
  for (const l of bundle.manifest.layers.fewShot)
    memory.set(
      l,
      memoryBankFromShots(
        shots.map((s) => s.tokens.get(l)!),
        width,
      ),
    );
  return memory;
}

/** The few-shot half of the analysis for an already zero-shot-analysed image. */
export async function fewShotFromZeroShot(bundle: ModelBundle, zs: ZeroShotAnalysis, memory: FewShotMemory): Promise<FewShotAnalysis> {
  const m = bundle.manifest;
  const width = m.architecture.vision.width;
  const query = m.layers.fewShot.map((l) => zs.encoding.tokens.get(l)!.subarray(width)); // drop the class token
  const banks = m.layers.fewShot.map((l) => {
    const bank = memory.get(l);
    if (!bank) throw new Error(`the memory bank has no layer ${l}`);
    return bank;
  });
  const distances = await fewShotDistances(bundle, query, banks);
  const fs = fewShotMap(distances, m.grid, m.imageSize);
  const combined = combineMaps(zs.zeroShotMap, fs);
  return { ...zs, fewShotMap: fs, combinedMap: combined, combinedMax: mapMax(combined) };
}

export async function analyseFewShot(bundle: ModelBundle, pixels: Float32Array, textFeatures: Float32Array, memory: FewShotMemory): Promise<FewShotAnalysis> {
  return fewShotFromZeroShot(bundle, await analyseZeroShot(bundle, pixels, textFeatures), memory);
}
