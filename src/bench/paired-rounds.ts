// A/B ratios taken round by round: A then B in every round, so that a shared machine whose speed drifts over minutes
// moves both sides of a round alike. The figure to quote is the median of the rounds' ratios; min and max show the spread.

export interface PairedRound {
  a: number;
  b: number;
  /** a / b */
  ratio: number;
}

export interface PairedRatios {
  rounds: PairedRound[];
  median: number;
  min: number;
  max: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The rounds' ratios a / b and their median (the mean of the middle two for an even count), min and max. */
export function pairedRatios(pairs: readonly { a: number; b: number }[]): PairedRatios {
  if (pairs.length === 0) throw new RangeError("pairedRatios: no rounds");
  for (const { a, b } of pairs) if (!(a > 0 && b > 0)) throw new RangeError(`pairedRatios: times must be positive (${a}, ${b})`);
  const rounds = pairs.map(({ a, b }) => ({ a, b, ratio: round3(a / b) }));
  const sorted = pairs.map(({ a, b }) => a / b).sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { rounds, median: round3(median), min: round3(sorted[0]!), max: round3(sorted[sorted.length - 1]!) };
}
