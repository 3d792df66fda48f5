// Calibrates a reference set: each shot scored leave-one-out against a memory bank of the other shots.
import { calibrateFromLeaveOneOut, type FewShotCalibration } from "../anomaly/calibration";
import type { ImageEncoding } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";
import { buildMemory, fewShotFromZeroShot, zeroShotFromEncoding } from "./analyse";

export async function calibrateShots(bundle: ModelBundle, shots: readonly ImageEncoding[], textFeatures: Float32Array): Promise<FewShotCalibration> {
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
  return calibrateFromLeaveOneOut(values);
}

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}
