// Token-side pieces of the adapter maps (linear, row L2-normalisation, scaled text logits), each with its backward pass.
//
// Shapes are row-major: tokens x [rows, width], weight [embedDim, width] (torch nn.Linear), text [embedDim, 2]
// (column 0 normal, 1 abnormal), logits channel-major [2, rows] (rows = the G x G grid, row-major).

export type Floats = Float32Array | Float64Array;

/**
 * Every dot product of a row of a [aRows, length] with a row of b [bRows, length] (both row-major), handed to `emit`.
 * Blocked two rows by two rows: each loaded value serves two products, about three times faster than one product
 * at a time — the linear layers are the trainer's largest cost with a ViT-B/L encoder.
 */
function rowDots(a: Floats, aRows: number, b: Floats, bRows: number, length: number, emit: (i: number, j: number, dot: number) => void): void {
  for (let i = 0; i < aRows; i += 2) {
    const twoA = i + 1 < aRows;
    const a0 = i * length;
    const a1 = twoA ? a0 + length : a0;
    for (let j = 0; j < bRows; j += 2) {
      const twoB = j + 1 < bRows;
      const b0 = j * length;
      const b1 = twoB ? b0 + length : b0;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let k = 0; k < length; k++) {
        const x0 = a[a0 + k]!;
        const x1 = a[a1 + k]!;
        const y0 = b[b0 + k]!;
        const y1 = b[b1 + k]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      emit(i, j, s00);
      if (twoB) emit(i, j + 1, s01);
      if (twoA) {
        emit(i + 1, j, s10);
        if (twoB) emit(i + 1, j + 1, s11);
      }
    }
  }
}

/** z[p, e] = bias[e] + sum_w x[p, w] * weight[e, w]. */
export function linearForward(x: Floats, weight: Floats, bias: Floats, rows: number, width: number, embedDim: number, z: Float64Array): void {
  rowDots(x, rows, weight, embedDim, width, (p, e, dot) => (z[p * embedDim + e] = bias[e]! + dot));
}

/**
 * Accumulates dL/dweight += gz^T x and dL/dbias += column sums of gz (x is frozen: no gradient for it).
 * gweight[e, w] is a dot product over rows: both operands are transposed to rows first.
 */
export function linearBackward(x: Floats, gz: Float64Array, rows: number, width: number, embedDim: number, gWeight: Float64Array, gBias: Float64Array): void {
  const gzT = new Float64Array(embedDim * rows);
  for (let p = 0; p < rows; p++) {
    for (let e = 0; e < embedDim; e++) {
      const g = gz[p * embedDim + e]!;
      gzT[e * rows + p] = g;
      gBias[e] += g;
    }
  }
  const xT = new Float64Array(width * rows);
  for (let p = 0; p < rows; p++) for (let w = 0; w < width; w++) xT[w * rows + p] = x[p * width + w]!;
  rowDots(gzT, embedDim, xT, width, rows, (e, w, dot) => (gWeight[e * width + w] += dot));
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
