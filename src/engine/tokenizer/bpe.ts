// Byte-pair merging of one pre-token, step for step as open_clip's SimpleTokenizer.bpe.

/**
 * Merge the characters of `token` (byte characters; the last one gets "</w>") by lowest rank
 * until no ranked pair is left. Returns the resulting symbols.
 */
export function bpeMerge(token: string, ranks: ReadonlyMap<string, number>): string[] {
  const chars = Array.from(token);
  if (chars.length === 0) return [];
  let word = chars.slice(0, -1);
  word.push(`${chars[chars.length - 1]}</w>`);
  if (word.length === 1) return word;

  for (;;) {
    let best: string | undefined;
    let bestRank = Infinity;
    for (let i = 0; i < word.length - 1; i++) {
      const r = ranks.get(`${word[i]} ${word[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = `${word[i]} ${word[i + 1]}`;
      }
    }
    if (best === undefined) break;
    const space = best.indexOf(" ");
    const first = best.slice(0, space);
    const second = best.slice(space + 1);
    const merged: string[] = [];
    let i = 0;
    while (i < word.length) {
      const j = word.indexOf(first, i);
      if (j < 0) {
        merged.push(...word.slice(i));
        break;
      }
      merged.push(...word.slice(i, j));
      i = j;
      if (i < word.length - 1 && word[i + 1] === second) {
        merged.push(first + second);
        i += 2;
      } else {
        merged.push(word[i]!);
        i += 1;
      }
    }
    word = merged;
    if (word.length === 1) break;
  }
  return word;
}
