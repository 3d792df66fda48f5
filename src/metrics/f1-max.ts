// Best F1 over the precision-recall curve, as APRIL-GAN's test.py computes it from precision_recall_curve.
import { forEachThreshold, sortScores, type SortedScores } from "./sorted-scores";

/**
 * max over the curve's points of (2 * P * R) / (P + R), points where it is not finite dropped (test.py:
 * `np.max(f1_scores[np.isfinite(f1_scores)])`). The curve's closing point (P = 1, R = 0) gives 0, so the
 * result is >= 0. No positives: sklearn sets recall to 1 and precision is 0 everywhere -> 0. No samples: NaN.
 */
export function f1Max(s: SortedScores): number {
  const p = s.positives.length;
  if (p + s.negatives.length === 0) return NaN;
  let best = 0;
  forEachThreshold(s, (tp, fp) => {
    const precision = tp / (tp + fp);
    const recall = p === 0 ? 1 : tp / p;
    const f1 = (2 * precision * recall) / (precision + recall);
    if (f1 > best) best = f1; // NaN (0 / 0) never compares greater
  });
  return best;
}

/** F1-max of (labels, scores) on unsorted inputs. */
export function f1MaxScore(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return f1Max(sortScores(scores, labels));
}
