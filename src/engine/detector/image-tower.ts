// The image tower as the scoring code sees it: one graph in this isolate, or stages elsewhere (src/engine/staging).
import type { ImageEncoding } from "../runtime/clip-encoders";
import { encodeImage } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";
import type { FewShotBankKey } from "../staging/stage-port";
import type { StageTrace } from "../staging/stage-trace";
import { type FewShotMemory, fewShotFromZeroShot, zeroShotFromEncoding } from "./analyse";
import type { ReferenceShots, ShotsEmbedding } from "./reference-shots";
import { embedShotsHere } from "./shot-calibration";

export interface FewShotInput {
  /** The set's banks, for a tower that searches them here (required unless `banksInStages`). */
  memory?: FewShotMemory;
  /** The same banks by name, for stages that read their layers' banks themselves. */
  bank: FewShotBankKey;
}

export interface ImageAnalysis {
  zeroShotScore: number;
  /** [size*size], sum over zero-shot layers of the abnormal probability. */
  zeroShotMap: Float32Array;
  /** `ms`: the few-shot half's own time where it runs apart (the single graph's head search); stages fold it in. */
  fewShot?: { fewShotMap: Float32Array; combinedMap: Float32Array; combinedMax: number; ms?: number };
  /** The stage hops of a staged tower. */
  stages?: StageTrace;
}

export interface ImageTower {
  /** True when stages read and search the few-shot banks themselves (FewShotInput.bank); else `memory` is needed. */
  readonly banksInStages: boolean;
  /** Every tapped and projected output and the image features (reference-set embedding). */
  encode(pixels: Float32Array): Promise<ImageEncoding>;
  /** The leave-one-out calibration values and memory banks of a reference set's shots. */
  embedShots(shots: ReferenceShots, textFeatures: Float32Array): Promise<ShotsEmbedding>;
  /** Zero-shot score and map; with `fewShot`, also the few-shot and combined maps. */
  analyse(pixels: Float32Array, textFeatures: Float32Array, fewShot?: FewShotInput): Promise<ImageAnalysis>;
}

export function singleGraphTower(bundle: ModelBundle): ImageTower {
  return localEncoderTower(bundle, "the single image graph", (pixels) => encodeImage(bundle, pixels));
}

/** A tower whose encoder runs in this isolate: zero-shot and few-shot scoring here, banks searched here. */
export function localEncoderTower(bundle: ModelBundle, name: string, encode: (pixels: Float32Array) => Promise<ImageEncoding> | ImageEncoding): ImageTower {
  const encodeAsync = async (pixels: Float32Array) => encode(pixels);
  return {
    banksInStages: false,
    encode: encodeAsync,
    embedShots: (shots, textFeatures) => embedShotsHere(bundle, shots, textFeatures, encodeAsync),
    async analyse(pixels, textFeatures, fewShot) {
      const zs = zeroShotFromEncoding(bundle, await encode(pixels), textFeatures);
      const base = { zeroShotScore: zs.zeroShotScore, zeroShotMap: zs.zeroShotMap };
      if (!fewShot) return base;
      const start = performance.now();
      if (!fewShot.memory) throw new Error(`${name} searches the memory banks here: FewShotInput.memory is required`);
      const fs = await fewShotFromZeroShot(bundle, zs, fewShot.memory);
      const ms = performance.now() - start;
      return { ...base, fewShot: { fewShotMap: fs.fewShotMap, combinedMap: fs.combinedMap, combinedMax: fs.combinedMax, ms } };
    },
  };
}
