// CLIP BPE tokenizer matching open_clip's tokenize(): ids, SOT/EOT framing, padding, truncation.
import { bpeMerge } from "./bpe";
import { fromByteChars } from "./byte-encoder";
import { EOT_TEXT, SOT_TEXT, pretokenize } from "./pretokenize";
import { buildVocab } from "./vocab";

export const DEFAULT_CONTEXT_LENGTH = 77;

export interface ClipTokenizerOptions {
  /** Entries kept in the pre-token -> ids cache before it is cleared (default 20000). */
  cacheSize?: number;
}

export interface ClipTokenizer {
  /** Token ids of `text` without SOT/EOT. */
  encode(text: string): number[];
  /** Rows of [SOT, ...encode(text), EOT], zero-padded, truncated keeping EOT last: [n, contextLength]. */
  tokenize(texts: readonly string[], contextLength?: number): Int32Array;
  /** open_clip decode: ids back to text, "</w>" read as a space. */
  decode(ids: readonly number[]): string;
  readonly sot: number;
  readonly eot: number;
  readonly vocabSize: number;
}

const utf8 = new TextDecoder("utf-8");

/** `mergesText` is the merges file as text (gunzipped): "#version: 0.2" then one "a b" per line. */
export function createClipTokenizer(mergesText: string, opts: ClipTokenizerOptions = {}): ClipTokenizer {
  const vocab = buildVocab(mergesText);
  const cacheSize = opts.cacheSize ?? 20000;
  const specials = new Map([
    [SOT_TEXT, [vocab.sot]],
    [EOT_TEXT, [vocab.eot]],
  ]);
  const cache = new Map<string, number[]>();

  function idsOf(token: string): number[] {
    const special = specials.get(token);
    if (special) return special;
    const hit = cache.get(token);
    if (hit) return hit;
    const ids = bpeMerge(token, vocab.ranks).map((sym) => {
      const id = vocab.encoder.get(sym);
      if (id === undefined) throw new Error(`BPE produced a symbol outside the vocabulary: ${sym}`);
      return id;
    });
    if (cache.size >= cacheSize) cache.clear();
    cache.set(token, ids);
    return ids;
  }

  function encode(text: string): number[] {
    const out: number[] = [];
    for (const token of pretokenize(text)) out.push(...idsOf(token));
    return out;
  }

  function tokenize(texts: readonly string[], contextLength = DEFAULT_CONTEXT_LENGTH): Int32Array {
    if (!Number.isInteger(contextLength) || contextLength < 1) {
      throw new RangeError(`contextLength must be a positive integer, got ${contextLength}`);
    }
    const out = new Int32Array(texts.length * contextLength);
    texts.forEach((text, row) => {
      let ids = [vocab.sot, ...encode(text), vocab.eot];
      if (ids.length > contextLength) {
        ids = ids.slice(0, contextLength);
        ids[contextLength - 1] = vocab.eot;
      }
      out.set(ids, row * contextLength);
    });
    return out;
  }

  function decode(ids: readonly number[]): string {
    const chars = ids.map((id) => vocab.decoder[id] ?? "").join("");
    return utf8.decode(fromByteChars(chars)).replaceAll("</w>", " ");
  }

  return { encode, tokenize, decode, sot: vocab.sot, eot: vocab.eot, vocabSize: vocab.size };
}
