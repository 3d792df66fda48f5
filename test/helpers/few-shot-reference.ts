// Reference only (tests and parity scripts): the few-shot nearest-neighbour search in plain JS, float64.

function rowNorms(rows: Float32Array, count: number, width: number): Float64Array {
  const norms = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    let sq = 0;
    for (let i = 0; i < width; i++) sq += rows[r * width + i] * rows[r * width + i];
    // sklearn's normalize() leaves all-zero rows at zero (their cosine with anything is 0).
    norms[r] = sq > 0 ? Math.sqrt(sq) : 1;
  }
  return norms;
}

/**
 * For every query row ([P, width], raw tokens without the class token) the minimum over memory rows
 * ([M, width]) of 1 - cosine similarity -> [P]. What the ONNX few-shot head computes; O(P * M * width).
 */
export function fewShotDistancesReference(query: Float32Array, memory: Float32Array, width: number): Float32Array {
  if (query.length % width !== 0 || memory.length % width !== 0 || memory.length === 0) {
    throw new RangeError(`query (${query.length}) / memory (${memory.length}) are not [*, ${width}]`);
  }
  const patches = query.length / width;
  const rows = memory.length / width;
  const qn = rowNorms(query, patches, width);
  const mn = rowNorms(memory, rows, width);
  const out = new Float32Array(patches);
  for (let p = 0; p < patches; p++) {
    const q = p * width;
    let best = -Infinity;
    for (let r = 0; r < rows; r++) {
      const m = r * width;
      let dot = 0;
      for (let i = 0; i < width; i++) dot += query[q + i] * memory[m + i];
      const cos = dot / (qn[p] * mn[r]);
      if (cos > best) best = cos;
    }
    out[p] = 1 - best;
  }
  return out;
}
