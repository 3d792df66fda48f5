// The official APRIL-GAN losses on 2-channel probability maps: FocalLoss (gamma 2, smooth 1e-5) and BinaryDiceLoss.
//
// FocalLoss (loss.py, alpha None): the target one-hot is clamped to [smooth, 1 - smooth], pt = sum_c onehot_c * p_c
// + smooth, loss = mean over every pixel of the batch of -(1 - pt)^2 log(pt). BinaryDiceLoss on the abnormal
// channel: per image dice = (2 sum(p1 t) + 1) / (sum p1 + sum t + 1), loss = 1 - sum_b dice_b / B.

const SMOOTH = 1e-5;
// torch.clamp of a float32 one-hot: the bounds as float32 values.
const ON = Math.fround(1 - SMOOTH);
const OFF = Math.fround(SMOOTH);

/**
 * scale * sum over the n pixels of one image of the focal term; probs [2, n], mask 0/1 [n] or null (all 0).
 * With `scale` = 1 / (B * n) the sum over the batch's images is the reference's mean. When `gProbs` [2, n] is
 * given, adds scale * d(term)/d(probs) into it.
 */
export function focalLoss(probs: Float64Array, mask: Uint8Array | null, n: number, scale: number, gProbs?: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = mask !== null && mask[i] !== 0;
    const o0 = t ? OFF : ON;
    const o1 = t ? ON : OFF;
    const pt = o0 * probs[i]! + o1 * probs[n + i]! + SMOOTH;
    const q = 1 - pt;
    const log = Math.log(pt);
    sum -= q * q * log;
    if (gProbs) {
      const d = scale * (2 * q * log - (q * q) / pt);
      gProbs[i] += d * o0;
      gProbs[n + i] += d * o1;
    }
  }
  return scale * sum;
}

/**
 * The dice coefficient of one image's abnormal channel probs[1] against the mask (smooth 1). When `gProbs` is
 * given, adds gScale * d(dice)/d(probs[1]) into its channel 1 (gScale = -1 / B for the reference loss).
 */
export function diceCoefficient(probs: Float64Array, mask: Uint8Array | null, n: number, gProbs?: Float64Array, gScale = 1): number {
  let inter = 0;
  let sumP = 0;
  let sumT = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[n + i]!;
    sumP += p;
    if (mask !== null && mask[i] !== 0) {
      inter += p;
      sumT += 1;
    }
  }
  const num = 2 * inter + 1;
  const den = sumP + sumT + 1;
  if (gProbs) {
    // d/dp_i of num/den = (2 t_i den - num) / den^2
    const a = (gScale * -num) / (den * den);
    const b = (gScale * 2) / den;
    for (let i = 0; i < n; i++) gProbs[n + i] += mask !== null && mask[i] !== 0 ? a + b : a;
  }
  return num / den;
}
