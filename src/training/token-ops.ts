// Token-side pieces of the adapter maps (linear, row L2-normalisation, scaled text logits), each with its backward pass.
//
// Shapes are row-major: tokens x [rows, width], weight [embedDim, width] (torch nn.Linear), text [embedDim, 2]
// (column 0 normal, 1 abnormal), logits channel-major [2, rows] (rows = the G x G grid, row-major).

export type Floats = Float32Array | Float64Array;

/** z[p, e] = bias[e] + sum_w x[p, w] * weight[e, w]. */
export function linearForward(x: Floats, weight: Floats, bias: Floats, rows: number, width: number, embedDim: number, z: Float64Array): void {
  for (let p = 0; p < rows; p++) {
    const xo = p * width;
    const zo = p * embedDim;
    for (let e = 0; e < embedDim; e++) {
      const wo = e * width;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let w = 0;
      for (; w + 3 < width; w += 4) {
        s0 += x[xo + w]! * weight[wo + w]!;
        s1 += x[xo + w + 1]! * weight[wo + w + 1]!;
        s2 += x[xo + w + 2]! * weight[wo + w + 2]!;
        s3 += x[xo + w + 3]! * weight[wo + w + 3]!;
      }
      for (; w < width; w++) s0 += x[xo + w]! * weight[wo + w]!;
      z[zo + e] = bias[e]! + (s0 + s1) + (s2 + s3);
    }
  }
}

/** Accumulates dL/dweight += gz^T x and dL/dbias += column sums of gz (x is frozen: no gradient for it). */
export function linearBackward(x: Floats, gz: Float64Array, rows: number, width: number, embedDim: number, gWeight: Float64Array, gBias: Float64Array): void {
  for (let p = 0; p < rows; p++) {
    const xo = p * width;
    const go = p * embedDim;
    for (let e = 0; e < embedDim; e++) {
      const g = gz[go + e]!;
      if (g === 0) continue;
      gBias[e] += g;
      const wo = e * width;
      for (let w = 0; w < width; w++) gWeight[wo + w] += g * x[xo + w]!;
    }
  }
}

/** u = z / ||z|| per row (no epsilon, as `x /= x.norm(dim=-1, keepdim=True)`); norms[p] = ||z_p||. */
export function normalizeRowsForward(z: Float64Array, rows: number, dim: number, u: Float64Array, norms: Float64Array): void {
  for (let p = 0; p < rows; p++) {
    const o = p * dim;
    let s = 0;
    for (let e = 0; e < dim; e++) s += z[o + e]! * z[o + e]!;
    const n = Math.sqrt(s);
    norms[p] = n;
    for (let e = 0; e < dim; e++) u[o + e] = z[o + e]! / n;
  }
}

/** gz = (gu - u (u . gu)) / ||z|| per row. `gz` may alias `gu`. */
export function normalizeRowsBackward(u: Float64Array, norms: Float64Array, gu: Float64Array, rows: number, dim: number, gz: Float64Array): void {
  for (let p = 0; p < rows; p++) {
    const o = p * dim;
    let dot = 0;
    for (let e = 0; e < dim; e++) dot += u[o + e]! * gu[o + e]!;
    const inv = 1 / norms[p]!;
    for (let e = 0; e < dim; e++) gz[o + e] = (gu[o + e]! - u[o + e]! * dot) * inv;
  }
}

/** logits[c, p] = scale * sum_e u[p, e] * text[e, c] for the two columns c of text [dim, 2]. */
export function textLogitsForward(u: Float64Array, text: Floats, rows: number, dim: number, scale: number, logits: Float64Array): void {
  for (let p = 0; p < rows; p++) {
    const o = p * dim;
    let a = 0;
    let b = 0;
    for (let e = 0; e < dim; e++) {
      const v = u[o + e]!;
      a += v * text[2 * e]!;
      b += v * text[2 * e + 1]!;
    }
    logits[p] = scale * a;
    logits[rows + p] = scale * b;
  }
}

/** gu[p, e] = scale * (gLogits[0, p] * text[e, 0] + gLogits[1, p] * text[e, 1]). */
export function textLogitsBackward(gLogits: Float64Array, text: Floats, rows: number, dim: number, scale: number, gu: Float64Array): void {
  for (let p = 0; p < rows; p++) {
    const o = p * dim;
    const g0 = scale * gLogits[p]!;
    const g1 = scale * gLogits[rows + p]!;
    for (let e = 0; e < dim; e++) gu[o + e] = g0 * text[2 * e]! + g1 * text[2 * e + 1]!;
  }
}
