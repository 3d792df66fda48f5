// Token-side pieces of the adapter maps (linear, row L2-normalisation, scaled text logits), each with its backward pass.
//
// Shapes are row-major: tokens x [rows, width], weight [embedDim, width] (torch nn.Linear), text [embedDim, 2]
// (column 0 normal, 1 abnormal), logits channel-major [2, rows] (rows = the G x G grid, row-major).

export type Floats = Float32Array | Float64Array;

/**
 * z[p, e] = bias[e] + sum_w x[p, w] * weight[e, w]. Blocked two rows by two outputs: each loaded value serves two
 * products, which roughly halves the time of this loop, the trainer's largest cost with a ViT-B/L encoder.
 */
export function linearForward(x: Floats, weight: Floats, bias: Floats, rows: number, width: number, embedDim: number, z: Float64Array): void {
  for (let p = 0; p < rows; p += 2) {
    const two = p + 1 < rows;
    const x0 = p * width;
    const x1 = two ? x0 + width : x0;
    for (let e = 0; e < embedDim; e += 2) {
      const pair = e + 1 < embedDim;
      const w0 = e * width;
      const w1 = pair ? w0 + width : w0;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let w = 0; w < width; w++) {
        const a0 = x[x0 + w]!;
        const a1 = x[x1 + w]!;
        const b0 = weight[w0 + w]!;
        const b1 = weight[w1 + w]!;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      z[p * embedDim + e] = bias[e]! + s00;
      if (pair) z[p * embedDim + e + 1] = bias[e + 1]! + s01;
      if (two) {
        z[(p + 1) * embedDim + e] = bias[e]! + s10;
        if (pair) z[(p + 1) * embedDim + e + 1] = bias[e + 1]! + s11;
      }
    }
  }
}

/**
 * Accumulates dL/dweight += gz^T x and dL/dbias += column sums of gz (x is frozen: no gradient for it).
 * gweight[e, w] is a dot product over rows; with both operands transposed to row-contiguous form it is computed
 * two by two in registers instead of as rank-one updates through memory.
 */
export function linearBackward(x: Floats, gz: Float64Array, rows: number, width: number, embedDim: number, gWeight: Float64Array, gBias: Float64Array): void {
  const gzT = new Float64Array(embedDim * rows);
  for (let p = 0; p < rows; p++) {
    const go = p * embedDim;
    for (let e = 0; e < embedDim; e++) {
      const g = gz[go + e]!;
      gzT[e * rows + p] = g;
      gBias[e] += g;
    }
  }
  const xT = new Float64Array(width * rows);
  for (let p = 0; p < rows; p++) {
    const xo = p * width;
    for (let w = 0; w < width; w++) xT[w * rows + p] = x[xo + w]!;
  }
  for (let e = 0; e < embedDim; e += 2) {
    const pair = e + 1 < embedDim;
    const g0 = e * rows;
    const g1 = pair ? g0 + rows : g0;
    for (let w = 0; w < width; w += 2) {
      const two = w + 1 < width;
      const v0 = w * rows;
      const v1 = two ? v0 + rows : v0;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let p = 0; p < rows; p++) {
        const a0 = gzT[g0 + p]!;
        const a1 = gzT[g1 + p]!;
        const b0 = xT[v0 + p]!;
        const b1 = xT[v1 + p]!;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      gWeight[e * width + w] += s00;
      if (two) gWeight[e * width + w + 1] += s01;
      if (pair) {
        gWeight[(e + 1) * width + w] += s10;
        if (two) gWeight[(e + 1) * width + w + 1] += s11;
      }
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
