// Finite-difference helpers for the training gradient tests (float64 central differences).

/** Central difference of f with respect to x[i], restoring x[i]. */
export function numericGrad(f: () => number, x: Float64Array, i: number, h = 1e-6): number {
  const keep = x[i]!;
  x[i] = keep + h;
  const up = f();
  x[i] = keep - h;
  const down = f();
  x[i] = keep;
  return (up - down) / (2 * h);
}

/** Max over the checked indices of |analytic - numeric| / max(1, |numeric|) (every index when n is small). */
export function maxGradError(f: () => number, x: Float64Array, analytic: ArrayLike<number>, h = 1e-6, maxChecks = 200): number {
  let worst = 0;
  const step = Math.max(1, Math.floor(x.length / maxChecks));
  for (let i = 0; i < x.length; i += step) {
    const n = numericGrad(f, x, i, h);
    worst = Math.max(worst, Math.abs(analytic[i]! - n) / Math.max(1, Math.abs(n)));
  }
  return worst;
}

/** Deterministic pseudo-random float64 values in [-scale, scale). */
export function randomArray(n: number, seed: number, scale = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** sum_i a[i] * b[i]: a fixed random linear functional turns an array output into a scalar to differentiate. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
