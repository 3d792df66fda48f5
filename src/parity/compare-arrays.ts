// Agreement figures between a computed array and its golden counterpart.

export interface Agreement {
  maxAbs: number;
  /** max|a - b| / max|b|, the oracle README's relative error. */
  rel: number;
  pearson: number;
}

export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>): Agreement {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: computed ${actual.length} values, golden has ${expected.length}`);
  }
  let maxAbs = 0;
  let maxRef = 0;
  let sa = 0;
  let sb = 0;
  const n = actual.length;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const d = Number.isNaN(a) || Number.isNaN(b) ? Infinity : Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
    if (Math.abs(b) > maxRef) maxRef = Math.abs(b);
    sa += a;
    sb += b;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = actual[i]! - ma;
    const db = expected[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  // Two constant arrays that agree are perfectly correlated for our purpose; a constant vs a varying one is not.
  const pearson = va === 0 && vb === 0 ? (maxAbs === 0 ? 1 : 0) : va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
  return { maxAbs, rel: maxRef > 0 ? maxAbs / maxRef : maxAbs, pearson };
}
