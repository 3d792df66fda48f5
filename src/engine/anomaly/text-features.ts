// Prompt-ensemble text features: per state group, mean of the L2-normalised sentence embeddings, re-normalised.

/** Mean of the L2-normalised rows of a [n, dim] matrix, L2-normalised (accumulated in float64). */
function normalisedMeanDirection(rows: Float32Array, dim: number, label: string): Float64Array {
  if (!(dim > 0) || rows.length === 0 || rows.length % dim !== 0) {
    throw new RangeError(`${label} embeddings: length ${rows.length} is not a positive multiple of ${dim}`);
  }
  const n = rows.length / dim;
  const sum = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    const base = r * dim;
    let sq = 0;
    for (let e = 0; e < dim; e++) sq += rows[base + e] * rows[base + e];
    // Re-normalising is a no-op for rows that already have unit norm (the reference normalises here).
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let e = 0; e < dim; e++) sum[e] += rows[base + e] * inv;
  }
  // mean then normalise == sum then normalise
  let sq = 0;
  for (let e = 0; e < dim; e++) sq += sum[e] * sum[e];
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  for (let e = 0; e < dim; e++) sum[e] *= inv;
  return sum;
}

/**
 * Text features T [embedDim, 2] row-major (index e*2 + c): column 0 normal, column 1 abnormal,
 * from the sentence embeddings of each group ([n, embedDim] rows, any n >= 1).
 */
export function ensembleTextFeatures(normalEmbeddings: Float32Array, abnormalEmbeddings: Float32Array, embedDim: number): Float32Array {
  const normal = normalisedMeanDirection(normalEmbeddings, embedDim, "normal");
  const abnormal = normalisedMeanDirection(abnormalEmbeddings, embedDim, "abnormal");
  const out = new Float32Array(embedDim * 2);
  for (let e = 0; e < embedDim; e++) {
    out[e * 2] = normal[e];
    out[e * 2 + 1] = abnormal[e];
  }
  return out;
}
