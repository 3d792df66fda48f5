// ROC curve points for plotting, thinned so that millions of pixel thresholds become a few hundred points.
import { forEachThreshold, type SortedScores } from "./sorted-scores";

export interface CurvePoints {
  fpr: number[];
  tpr: number[];
}

/**
 * (FPR, TPR) from (0, 0) to (1, 1), one point per distinct threshold, but a point is kept only when it moved
 * at least 1 / resolution from the last kept one in either axis (the final point is always kept). Empty
 * curve when a class is missing.
 */
export function rocCurve(s: SortedScores, resolution = 256): CurvePoints {
  const p = s.positives.length;
  const n = s.negatives.length;
  const out: CurvePoints = { fpr: [0], tpr: [0] };
  if (p === 0 || n === 0) return { fpr: [], tpr: [] };
  const step = 1 / resolution;
  let lastX = 0;
  let lastY = 0;
  let x = 0;
  let y = 0;
  forEachThreshold(s, (tp, fp) => {
    x = fp / n;
    y = tp / p;
    if (x - lastX >= step || y - lastY >= step) {
      out.fpr.push(x);
      out.tpr.push(y);
      lastX = x;
      lastY = y;
    }
  });
  if (lastX !== x || lastY !== y) {
    out.fpr.push(x);
    out.tpr.push(y);
  }
  return out;
}
