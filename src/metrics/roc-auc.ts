// Area under the ROC curve with sklearn's roc_auc_score semantics (trapezoids between distinct thresholds).
import { forEachThreshold, sortScores, type SortedScores } from "./sorted-scores";

/**
 * ROC AUC of sorted scores. Ties count half (the trapezoid over a tied group), exactly as sklearn.
 * NaN when either class is empty (sklearn raises "Only one class present in y_true").
 * The area is accumulated in integer counts (exact below 2^53, i.e. up to ~6e7 positives x negatives
 * of 1e8 pixels) and divided once, so it equals sklearn's value up to sklearn's own rounding.
 */
export function rocAuc(s: SortedScores): number {
  const p = s.positives.length;
  const n = s.negatives.length;
  if (p === 0 || n === 0) return NaN;
  let twiceArea = 0;
  let prevTp = 0;
  let prevFp = 0;
  forEachThreshold(s, (tp, fp) => {
    twiceArea += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  });
  return twiceArea / (2 * p * n);
}

/** roc_auc_score(labels, scores) on unsorted inputs. */
export function rocAucScore(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return rocAuc(sortScores(scores, labels));
}
