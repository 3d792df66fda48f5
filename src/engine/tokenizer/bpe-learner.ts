// A small deterministic BPE learner (Sennrich et al.) over pre-tokens, producing CLIP-style merges.
import { pretokenize } from "./pretokenize";

export interface LearnMergesOptions {
  /** Stop after this many merges (default 2000). */
  maxMerges?: number;
  /** Stop when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
}

/** Pre-token (byte characters) -> occurrences over `texts`, cleaned and split like the tokenizer. */
export function countPretokens(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const t of pretokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

/**
 * Learn merges from pre-token counts. Each step merges the most frequent adjacent pair; ties go to
 * the pair whose "first second" string sorts first, so the result depends only on the input.
 */
export function learnMerges(counts: ReadonlyMap<string, number>, opts: LearnMergesOptions = {}): Array<[string, string]> {
  const maxMerges = opts.maxMerges ?? 2000;
  const minFrequency = opts.minFrequency ?? 2;
  const words = [...counts].map(([token, n]) => {
    const chars = Array.from(token);
    const symbols = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    return { symbols, n };
  });
  const merges: Array<[string, string]> = [];
  while (merges.length < maxMerges) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, n } of words) {
      for (let i = 0; i < symbols.length - 1; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + n);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, c] of pairCounts) {
      if (c > bestCount || (c === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (best === undefined || bestCount < minFrequency) break;
    const [first, second] = best.split(" ") as [string, string];
    merges.push([first, second]);
    for (const w of words) w.symbols = mergePair(w.symbols, first, second);
  }
  return merges;
}

function mergePair(symbols: string[], first: string, second: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
      out.push(first + second);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

/** Serialise merges in the format of bpe_simple_vocab_16e6.txt. */
export function formatMergesFile(merges: ReadonlyArray<readonly [string, string]>): string {
  return `#version: 0.2\n${merges.map(([a, b]) => `${a} ${b}`).join("\n")}\n`;
}
