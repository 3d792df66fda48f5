// Builds the CLIP vocabulary and merge ranks from a merges file, as open_clip's SimpleTokenizer.
//
// The real file is bpe_simple_vocab_16e6.txt.gz; gunzip it first, which works the same in Node and
// workerd with fflate:  `strFromU8(gunzipSync(bytes))`  (import { gunzipSync, strFromU8 } from "fflate").
import { byteTokensInVocabOrder } from "./byte-encoder";
import { EOT_TEXT, SOT_TEXT } from "./pretokenize";

/** open_clip keeps merges = lines[1 : 49152 - 256 - 2 + 1]. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

export interface ClipVocab {
  /** token string -> id (a later duplicate wins, as with Python's dict(zip(...))) */
  readonly encoder: ReadonlyMap<string, number>;
  /** id -> token string */
  readonly decoder: readonly string[];
  /** "first second" -> rank */
  readonly ranks: ReadonlyMap<string, number>;
  readonly sot: number;
  readonly eot: number;
  readonly size: number;
  readonly mergeCount: number;
}

/** Merge lines after the header: the CLIP slice, or every non-empty line of a smaller file. */
export function mergeLines(mergesText: string): string[] {
  const lines = mergesText.split("\n").slice(1);
  // A file with fewer merges than CLIP's is a demo vocabulary: take all of it, minus the blank
  // line(s) a trailing newline leaves (Python's slice of the real file never reaches them).
  if (lines.length >= CLIP_MERGE_COUNT) return lines.slice(0, CLIP_MERGE_COUNT);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  return lines;
}

export function buildVocab(mergesText: string): ClipVocab {
  const merges = mergeLines(mergesText).map((line, i) => {
    const parts = line.split(/\s+/).filter((p) => p.length > 0);
    if (parts.length !== 2) throw new Error(`merges line ${i + 2} is not "a b": ${JSON.stringify(line)}`);
    return parts as [string, string];
  });
  const byteTokens = byteTokensInVocabOrder();
  const decoder = [...byteTokens, ...byteTokens.map((t) => `${t}</w>`), ...merges.map(([a, b]) => a + b), SOT_TEXT, EOT_TEXT];
  const encoder = new Map<string, number>();
  decoder.forEach((t, id) => {
    encoder.set(t, id);
  });
  const ranks = new Map<string, number>();
  merges.forEach(([a, b], rank) => {
    ranks.set(`${a} ${b}`, rank);
  });
  return {
    encoder,
    decoder,
    ranks,
    sot: encoder.get(SOT_TEXT)!,
    eot: encoder.get(EOT_TEXT)!,
    size: decoder.length,
    mergeCount: merges.length,
  };
}
