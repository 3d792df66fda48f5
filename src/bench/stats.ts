// Small statistics helpers for benchmark figures.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function peakRssMb(): number {
  // maxRSS is in kilobytes on Linux.
  return process.resourceUsage().maxRSS / 1024;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** This process's CPU time so far (user + system, all threads), in ms. */
export function processCpuMs(): number {
  const t = process.cpuUsage();
  return (t.user + t.system) / 1000;
}
