// Per-image few-shot score without a test set: leave-one-out calibration of max(combined map) on the reference shots.
/**
 * The reference scores an image as 0.5 * (zero_shot_score + m), where m is max(combined map) min-max
 * normalised over ALL test images of the object. A service sees one image at a time, so m is replaced by
 * a fixed, per-object mapping g(max) calibrated on the k normal reference shots:
 *
 * 1. Leave-one-out (k >= 2, method "loo-gaussian"): for each shot j, its combined-map max against the
 *    memory bank of the other k - 1 shots, and its zero-shot score. These are k samples of what a normal
 *    image looks like. (Against k - 1 shots instead of k the few-shot distances are slightly larger, so
 *    the normal statistics are slightly pessimistic, which errs towards fewer false alarms.)
 * 2. centre = mean of the k maxima; spread = their sample standard deviation (n - 1) inflated by
 *    sqrt(1 + 1/k) (the spread of a NEW normal image around an estimated mean), floored at
 *    max(minSpreadAbsolute, minSpreadRelative * |centre|) because 2-5 samples can agree by chance.
 * 3. z = (max - centre) / spread;  g = 1 / (1 + exp(-slope * (z - zStar))), slope 1.702 making the
 *    logistic ~ the normal CDF: g ~ Phi(z - zStar). A typical normal image (z ~ 0) gets g ~ 0.02, an
 *    image zStar spreads above the centre gets 0.5, clear outliers approach 1, much like the min-max
 *    normalisation over a test set that contains anomalies puts normal images near 0.
 * 4. score = 0.5 * (zeroShotScore + g)  (the reference formula, strictly increasing in both inputs).
 * 5. threshold = the score of a normal image whose zero-shot score is the shots' mean zero-shot score and
 *    whose max sits zStar = 2 spreads above the centre: 0.5 * (meanShotZeroShot + 0.5). For a Gaussian
 *    that flags ~2.3 % of normal images (ignoring zero-shot-score variation).
 * k = 1 (method "single-shot-prior"): leave-one-out is impossible. values[0] is the shot scored against
 * its own memory bank (few-shot term 0, so combinedMax = its zero-shot-map max). centre = that value,
 * spread = max(minSpreadAbsolute, singleShotSpreadRelative * |centre|) with a wide prior (0.2); a real
 * normal image also has a few-shot term the single shot cannot show, which this wide spread absorbs.
 * The method field lets the service warn that adding a second shot enables proper calibration.
 */

/** Decision threshold on the zero-shot image score: the argmax of the two-way softmax (normal vs abnormal). */
export const zeroShotDecisionThreshold = 0.5;

export type CalibrationMethod = "loo-gaussian" | "single-shot-prior";

export interface FewShotCalibration {
  method: CalibrationMethod;
  /** Number of reference shots the calibration came from. */
  k: number;
  /** Centre of the normal distribution of max(combined map). */
  center: number;
  /** Spread used for z (after inflation and floors), > 0. */
  spread: number;
  /** Decision threshold on fewShotImageScore: anomalous when score >= threshold. */
  threshold: number;
  /** z at which g = 0.5. */
  zStar: number;
  /** Logistic slope per spread. */
  slope: number;
  /** Mean zero-shot score of the reference shots (enters the threshold). */
  zeroShotReference: number;
  /** Raw sample standard deviation of the leave-one-out maxima (null for k = 1). */
  sampleSpread: number | null;
}

export interface CalibrationOptions {
  /** Default 2. */
  zStar?: number;
  /** Default 1.702 (logistic approximation of the normal CDF). */
  slope?: number;
  /** Spread floor relative to |centre|; default 0.05. */
  minSpreadRelative?: number;
  /** Absolute spread floor; default 0.02. */
  minSpreadAbsolute?: number;
  /** k = 1 prior spread relative to |centre|; default 0.2. */
  singleShotSpreadRelative?: number;
}

export interface LeaveOneOutValue {
  /** max(combined map) of shot j against the memory bank of the other shots (k = 1: its own memory). */
  combinedMax: number;
  /** Zero-shot image score of shot j. */
  zeroShotScore: number;
}

export const CALIBRATION_DEFAULTS: Required<CalibrationOptions> = {
  zStar: 2,
  slope: 1.702,
  minSpreadRelative: 0.05,
  minSpreadAbsolute: 0.02,
  singleShotSpreadRelative: 0.2,
};

function requireFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}

export function calibrateFromLeaveOneOut(values: readonly LeaveOneOutValue[], options: CalibrationOptions = {}): FewShotCalibration {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  if (!(o.slope > 0) || !Number.isFinite(o.zStar) || !(o.minSpreadAbsolute > 0) || !(o.minSpreadRelative >= 0) || !(o.singleShotSpreadRelative >= 0)) {
    throw new RangeError("calibration options: slope and minSpreadAbsolute must be > 0, relative spreads >= 0, zStar finite");
  }
  const k = values.length;
  if (k === 0) throw new RangeError("few-shot calibration needs at least one reference shot");
  values.forEach((v, j) => {
    requireFinite(v.combinedMax, `values[${j}].combinedMax`);
    requireFinite(v.zeroShotScore, `values[${j}].zeroShotScore`);
  });
  const center = values.reduce((s, v) => s + v.combinedMax, 0) / k;
  const zeroShotReference = clamp01(values.reduce((s, v) => s + v.zeroShotScore, 0) / k);
  let spread: number;
  let sampleSpread: number | null;
  let method: CalibrationMethod;
  if (k === 1) {
    method = "single-shot-prior";
    sampleSpread = null;
    spread = Math.max(o.minSpreadAbsolute, o.singleShotSpreadRelative * Math.abs(center));
  } else {
    method = "loo-gaussian";
    const ss = values.reduce((s, v) => s + (v.combinedMax - center) ** 2, 0);
    sampleSpread = Math.sqrt(ss / (k - 1));
    const predictive = sampleSpread * Math.sqrt(1 + 1 / k);
    spread = Math.max(predictive, o.minSpreadAbsolute, o.minSpreadRelative * Math.abs(center));
  }
  const partial = { method, k, center, spread, zStar: o.zStar, slope: o.slope, zeroShotReference, sampleSpread };
  // g(center + zStar * spread) = 0.5 by construction.
  return { ...partial, threshold: 0.5 * (zeroShotReference + 0.5) };
}

/** g(max): max(combined map) mapped to (0, 1) by the calibration; strictly increasing. */
export function normalisedCombinedMax(combinedMax: number, calibration: FewShotCalibration): number {
  requireFinite(combinedMax, "combinedMax");
  const z = (combinedMax - calibration.center) / calibration.spread;
  return 1 / (1 + Math.exp(-calibration.slope * (z - calibration.zStar)));
}

/** 0.5 * (zeroShotScore + g(combinedMax)) in [0, 1]; non-decreasing in both inputs. */
export function fewShotImageScore(zeroShotScore: number, combinedMax: number, calibration: FewShotCalibration): number {
  requireFinite(zeroShotScore, "zeroShotScore");
  return 0.5 * (clamp01(zeroShotScore) + normalisedCombinedMax(combinedMax, calibration));
}
