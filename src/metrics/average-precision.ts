// Average precision with sklearn's average_precision_score semantics: sum of (R_n - R_n-1) * P_n, not interpolated.
import { forEachThreshold, sortScores, type SortedScores } from "./sorted-scores";

/**
 * AP over the distinct-threshold operating points (highest threshold first), R_-1 = 0.
 * No positives: sklearn (>= 1.1) sets recall to 1 everywhere, which makes AP = 0; so does this.
 * No samples at all: NaN.
 */
export function averagePrecision(s: SortedScores): number {
  const p = s.positives.length;
  if (p + s.negatives.length === 0) return NaN;
  if (p === 0) return 0;
  let ap = 0;
  let prevRecall = 0;
  forEachThreshold(s, (tp, fp) => {
    const recall = tp / p;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  });
  return Math.max(0, ap);
}

/** average_precision_score(labels, scores) on unsorted inputs. */
export function averagePrecisionScore(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return averagePrecision(sortScores(scores, labels));
}
