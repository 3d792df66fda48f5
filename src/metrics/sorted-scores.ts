// Scores split by label and sorted ascending, and the walk over distinct thresholds that every ranking metric shares.

/** Score storage: Float32Array for pixel maps (exact, half the memory), Float64Array for image scores. */
export type ScoreArray = Float32Array | Float64Array;

/** Positive and negative scores, each ascending and free of NaN. Produced by sortScores / sortInPlace. */
export interface SortedScores {
  readonly positives: ScoreArray;
  readonly negatives: ScoreArray;
}

/**
 * Splits `scores` by `labels` (non-zero = positive, like sklearn's pos_label 1 on 0/1 labels) into two sorted
 * copies of the same precision as `scores` (Float32Array stays float32, anything else becomes float64).
 * Throws on NaN: sklearn rejects NaN scores too.
 */
export function sortScores(scores: ArrayLike<number>, labels: ArrayLike<number>): SortedScores {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  let p = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) p++;
  const make = (n: number): ScoreArray => (scores instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
  const positives = make(p);
  const negatives = make(scores.length - p);
  let a = 0;
  let b = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 0) positives[a++] = scores[i]!;
    else negatives[b++] = scores[i]!;
  }
  return sortInPlace(positives, negatives);
}

/** Sorts both arrays in place (numeric ascending) after checking for NaN; returns them as SortedScores. */
export function sortInPlace(positives: ScoreArray, negatives: ScoreArray): SortedScores {
  for (const a of [positives, negatives]) {
    for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) throw new RangeError("scores contain NaN");
    a.sort();
  }
  return { positives, negatives };
}

/**
 * Visits one operating point per distinct score, from the highest score down (sklearn's _binary_clf_curve):
 * tp and fp count the positives and negatives scoring >= threshold, ties grouped into one point.
 */
export function forEachThreshold(s: SortedScores, visit: (tp: number, fp: number, threshold: number) => void): void {
  const pos = s.positives;
  const neg = s.negatives;
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j]! : j < 0 ? pos[i]! : Math.max(pos[i]!, neg[j]!);
    while (i >= 0 && pos[i] === t) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    visit(tp, fp, t);
  }
}
