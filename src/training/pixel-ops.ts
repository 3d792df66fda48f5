// Pixel-side pieces of the adapter maps: bilinear upsampling (align_corners=True) and the 2-channel softmax, with backward.
import { axisPlan, type AxisPlan } from "../engine/anomaly/upsample";

/** The per-axis taps of a square grid G -> S upsampling, shared by the forward and backward passes. */
export interface UpsamplePlan {
  grid: number;
  size: number;
  axis: AxisPlan;
  /** Scratch of grid * size values. */
  rows: Float64Array;
}

export function upsamplePlan(grid: number, size: number): UpsamplePlan {
  return { grid, size, axis: axisPlan(grid, size, true), rows: new Float64Array(grid * size) };
}

/** [channels, G, G] -> [channels, S, S] (torch F.interpolate bilinear, align_corners=True). */
export function upsampleForward(plan: UpsamplePlan, input: Float64Array, channels: number, out: Float64Array): void {
  const { grid: g, size: s, rows } = plan;
  const { lo, hi, weight } = plan.axis;
  for (let c = 0; c < channels; c++) {
    const ib = c * g * g;
    for (let y = 0; y < g; y++) {
      const src = ib + y * g;
      const dst = y * s;
      for (let x = 0; x < s; x++) {
        const w = weight[x]!;
        rows[dst + x] = (1 - w) * input[src + lo[x]!]! + w * input[src + hi[x]!]!;
      }
    }
    const ob = c * s * s;
    for (let y = 0; y < s; y++) {
      const w = weight[y]!;
      const a = lo[y]! * s;
      const b = hi[y]! * s;
      const dst = ob + y * s;
      for (let x = 0; x < s; x++) out[dst + x] = (1 - w) * rows[a + x]! + w * rows[b + x]!;
    }
  }
}

/** The transpose of upsampleForward: gOut [channels, S, S] -> gIn [channels, G, G] (overwritten). */
export function upsampleBackward(plan: UpsamplePlan, gOut: Float64Array, channels: number, gIn: Float64Array): void {
  const { grid: g, size: s, rows } = plan;
  const { lo, hi, weight } = plan.axis;
  for (let c = 0; c < channels; c++) {
    rows.fill(0);
    const ob = c * s * s;
    for (let y = 0; y < s; y++) {
      const w = weight[y]!;
      const a = lo[y]! * s;
      const b = hi[y]! * s;
      const src = ob + y * s;
      for (let x = 0; x < s; x++) {
        const v = gOut[src + x]!;
        rows[a + x] += (1 - w) * v;
        rows[b + x] += w * v;
      }
    }
    const ib = c * g * g;
    gIn.fill(0, ib, ib + g * g);
    for (let y = 0; y < g; y++) {
      const src = y * s;
      const dst = ib + y * g;
      for (let x = 0; x < s; x++) {
        const w = weight[x]!;
        const v = rows[src + x]!;
        gIn[dst + lo[x]!] += (1 - w) * v;
        gIn[dst + hi[x]!] += w * v;
      }
    }
  }
}

/** Softmax over the 2 channels of logits [2, n] into probs [2, n]. */
export function softmax2Forward(logits: Float64Array, n: number, probs: Float64Array): void {
  for (let i = 0; i < n; i++) {
    // exp(x - max) is 1 for the larger logit: one exp per pixel.
    const d = logits[n + i]! - logits[i]!;
    const e = Math.exp(d > 0 ? -d : d);
    const s = 1 / (1 + e);
    probs[i] = d > 0 ? e * s : s;
    probs[n + i] = d > 0 ? s : e * s;
  }
}

/** gLogits_c = p_c (gProbs_c - sum_k p_k gProbs_k). `gLogits` may alias `gProbs`. */
export function softmax2Backward(probs: Float64Array, gProbs: Float64Array, n: number, gLogits: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const p0 = probs[i]!;
    const p1 = probs[n + i]!;
    const g0 = gProbs[i]!;
    const g1 = gProbs[n + i]!;
    const dot = p0 * g0 + p1 * g1;
    gLogits[i] = p0 * (g0 - dot);
    gLogits[n + i] = p1 * (g1 - dot);
  }
}
