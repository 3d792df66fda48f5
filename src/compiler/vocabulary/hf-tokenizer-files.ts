// Hugging Face CLIP tokenizer files (vocab.json + merges.txt, or tokenizer.json) -> the merges text our tokenizer reads,
// after checking that vocab.json assigns every token exactly the id the merges imply (else the ids would silently differ).
import { buildVocab } from "../../engine/tokenizer/vocab";
import { CompileError } from "../compile-bundle";

/** open_clip's merges file starts with a version line that the tokenizer skips; HF's merges.txt usually has "#version: 0.2". */
const HEADER = "#version: 0.2";

function checkIds(vocab: Record<string, unknown>, mergesText: string, what: string): void {
  const built = buildVocab(mergesText);
  const entries = Object.entries(vocab);
  if (entries.length !== built.size) {
    throw new CompileError("bad_vocabulary", `${what} has ${entries.length} tokens but its merges give ${built.size}`);
  }
  // OpenAI's and Hugging Face's files name the specials <|startoftext|>/<|endoftext|>, open_clip (and ours) <start_of_text>/...
  const specials = new Map([
    ["<|startoftext|>", built.sot],
    ["<|endoftext|>", built.eot],
  ]);
  for (const [token, id] of entries) {
    const expected = built.encoder.get(token) ?? specials.get(token);
    if (expected !== id) {
      throw new CompileError("bad_vocabulary", `${what} gives token ${JSON.stringify(token)} id ${id}, its merges give ${expected ?? "none"}`);
    }
  }
}

function mergesTextOf(lines: string[]): string {
  return `${HEADER}\n${lines.join("\n")}\n`;
}

/** `vocab.json` text + `merges.txt` text -> the merges text (header line, one "a b" per line). */
export function mergesTextFromHfFiles(vocabJson: string, mergesTxt: string): string {
  let vocab: unknown;
  try {
    vocab = JSON.parse(vocabJson);
  } catch (e) {
    throw new CompileError("bad_vocabulary", `vocab.json is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof vocab !== "object" || vocab === null || Array.isArray(vocab)) throw new CompileError("bad_vocabulary", "vocab.json is not an object");
  const lines = mergesTxt.replace(/\r\n/g, "\n").split("\n");
  if (lines[0]?.startsWith("#")) lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const text = mergesTextOf(lines);
  checkIds(vocab as Record<string, unknown>, text, "vocab.json");
  return text;
}

/** `tokenizer.json` (a BPE model with vocab and merges as "a b" strings or [a, b] pairs) -> the merges text. */
export function mergesTextFromTokenizerJson(tokenizerJson: string): string {
  let parsed: { model?: { type?: unknown; vocab?: unknown; merges?: unknown } };
  try {
    parsed = JSON.parse(tokenizerJson);
  } catch (e) {
    throw new CompileError("bad_vocabulary", `tokenizer.json is not valid JSON: ${(e as Error).message}`);
  }
  const model = parsed.model;
  if (model?.type !== "BPE" || typeof model.vocab !== "object" || model.vocab === null || !Array.isArray(model.merges)) {
    throw new CompileError("bad_vocabulary", "tokenizer.json holds no BPE model with vocab and merges");
  }
  const lines = model.merges.map((m: unknown, i: number) => {
    if (typeof m === "string") return m;
    if (Array.isArray(m) && m.length === 2 && m.every((p) => typeof p === "string")) return m.join(" ");
    throw new CompileError("bad_vocabulary", `tokenizer.json merge ${i} is neither "a b" nor ["a", "b"]`);
  });
  const text = mergesTextOf(lines);
  checkIds(model.vocab as Record<string, unknown>, text, "tokenizer.json");
  return text;
}
