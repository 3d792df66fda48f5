// The three ranking metrics of test.py (AUROC, AP, F1-max) of one set of labelled scores, image or pixel level.
import { averagePrecision } from "./average-precision";
import { f1Max } from "./f1-max";
import { rocAuc } from "./roc-auc";
import { sortScores, type SortedScores } from "./sorted-scores";

export interface RankingMetrics {
  auroc: number;
  ap: number;
  f1Max: number;
}

export function rankingMetrics(s: SortedScores): RankingMetrics {
  return { auroc: rocAuc(s), ap: averagePrecision(s), f1Max: f1Max(s) };
}

/** AUROC, AP and F1-max of (labels, scores), unsorted. */
export function rankingMetricsOf(labels: ArrayLike<number>, scores: ArrayLike<number>): RankingMetrics {
  return rankingMetrics(sortScores(scores, labels));
}
