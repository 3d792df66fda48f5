// Calibrates a reference set: each shot scored leave-one-out against a memory bank of the other shots.
import { calibrateFromLeaveOneOut, type FewShotCalibration, type LeaveOneOutValue } from "../anomaly/calibration";
import type { ImageEncoding } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";
import { buildMemory, fewShotFromZeroShot, zeroShotFromEncoding } from "./analyse";
import type { ReferenceShots, ShotsEmbedding } from "./reference-shots";

/** Per shot: its combined-map max against the bank of the other shots (k = 1: its zero-shot map max), its zero-shot score. */
export async function leaveOneOutValues(bundle: ModelBundle, shots: readonly ImageEncoding[], textFeatures: Float32Array): Promise<LeaveOneOutValue[]> {
  const values = [];
  for (let j = 0; j < shots.length; j++) {
    const zs = zeroShotFromEncoding(bundle, shots[j]!, textFeatures);
    if (shots.length === 1) {
      // No other shot to compare with: the calibration module's single-shot prior takes the zero-shot map max.
      values.push({ combinedMax: maxOf(zs.zeroShotMap), zeroShotScore: zs.zeroShotScore });
      continue;
    }
    const others = shots.filter((_, i) => i !== j);
    const fs = await fewShotFromZeroShot(bundle, zs, buildMemory(bundle, others));
    values.push({ combinedMax: fs.combinedMax, zeroShotScore: zs.zeroShotScore });
  }
  return values;
}

export async function calibrateShots(bundle: ModelBundle, shots: readonly ImageEncoding[], textFeatures: Float32Array): Promise<FewShotCalibration> {
  return calibrateFromLeaveOneOut(await leaveOneOutValues(bundle, shots, textFeatures));
}

/** A reference set on an encoder in this isolate: every shot encoded (decoded one at a time), then calibrated here. */
export async function embedShotsHere(
  bundle: ModelBundle,
  shots: ReferenceShots,
  textFeatures: Float32Array,
  encode: (pixels: Float32Array) => Promise<ImageEncoding> | ImageEncoding,
): Promise<ShotsEmbedding> {
  const encodings: ImageEncoding[] = [];
  for (let j = 0; j < shots.count; j++) {
    const input = await shots.pixels(j);
    try {
      encodings.push(await encode(input.pixels));
    } finally {
      input.release();
    }
  }
  return { values: await leaveOneOutValues(bundle, encodings, textFeatures), memory: buildMemory(bundle, encodings) };
}

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}
