// Reproducible benchmark inputs: standard normal samples from a seeded linear congruential generator (Box-Muller).

/** A generator of N(0, 1) samples, the same sequence for the same seed. */
export function seededNormal(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
