// Vocabulary sources: Hugging Face tokenizer files checked against their merges, the canonical stored form, the shipped default.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync, strFromU8, strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { promptSentences } from "../../../src/engine/anomaly/prompts";
import { createClipTokenizer } from "../../../src/engine/tokenizer/clip-tokenizer";
import { DEMO_OBJECT_NAMES, buildDemoMerges } from "../../../src/engine/tokenizer/demo-vocab";
import { buildVocab } from "../../../src/engine/tokenizer/vocab";
import { canonicalVocabularyGz } from "../../../src/compiler/vocabulary/canonical-vocabulary";
import { mergesTextFromHfFiles, mergesTextFromTokenizerJson } from "../../../src/compiler/vocabulary/hf-tokenizer-files";
import { DEFAULT_VOCABULARY, readVocabulary } from "../../../src/compiler/vocabulary/read-vocabulary";

const demoMerges = buildDemoMerges();

/** vocab.json + merges.txt as Hugging Face writes them for a merges text (ids from the merges order). */
function hfFilesOf(mergesText: string): { vocabJson: string; mergesTxt: string } {
  const v = buildVocab(mergesText);
  const merges = mergesText
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "");
  // Hugging Face names the specials as OpenAI does: <|startoftext|>, <|endoftext|>
  const names = v.decoder.map((t, i) => (i === v.sot ? "<|startoftext|>" : i === v.eot ? "<|endoftext|>" : t));
  return { vocabJson: JSON.stringify(Object.fromEntries(names.map((t, i) => [t, i]))), mergesTxt: `#version: 0.2\n${merges.join("\n")}\n` };
}

function sentences(): string[] {
  return DEMO_OBJECT_NAMES.flatMap((n) => {
    const s = promptSentences(n);
    return [...s.normal, ...s.abnormal];
  });
}

describe("Hugging Face tokenizer files", () => {
  it("give the tokenizer of the merges file they were made from", () => {
    const { vocabJson, mergesTxt } = hfFilesOf(demoMerges);
    const text = mergesTextFromHfFiles(vocabJson, mergesTxt);
    const a = createClipTokenizer(demoMerges);
    const b = createClipTokenizer(text);
    expect(b.vocabSize).toBe(a.vocabSize);
    expect(b.tokenize(sentences())).toEqual(a.tokenize(sentences()));
  });

  it("refuse a vocab.json whose ids disagree with the merges, naming the token", () => {
    const { vocabJson, mergesTxt } = hfFilesOf(demoMerges);
    const vocab = JSON.parse(vocabJson) as Record<string, number>;
    const [t1, t2] = Object.keys(vocab).slice(300, 302) as [string, string];
    [vocab[t1], vocab[t2]] = [vocab[t2]!, vocab[t1]!];
    expect(() => mergesTextFromHfFiles(JSON.stringify(vocab), mergesTxt)).toThrow(JSON.stringify(t1));
    delete vocab[t1];
    expect(() => mergesTextFromHfFiles(JSON.stringify(vocab), mergesTxt)).toThrow(/tokens but its merges give/);
    expect(() => mergesTextFromHfFiles("[", mergesTxt)).toThrow(/not valid JSON/);
  });

  it("read tokenizer.json with merges as strings or pairs", () => {
    const { vocabJson, mergesTxt } = hfFilesOf(demoMerges);
    const lines = mergesTxt.split("\n").slice(1, -1);
    const asStrings = JSON.stringify({ model: { type: "BPE", vocab: JSON.parse(vocabJson), merges: lines } });
    const asPairs = JSON.stringify({ model: { type: "BPE", vocab: JSON.parse(vocabJson), merges: lines.map((l) => l.split(" ")) } });
    expect(mergesTextFromTokenizerJson(asStrings)).toBe(mergesTextFromHfFiles(vocabJson, mergesTxt));
    expect(mergesTextFromTokenizerJson(asPairs)).toBe(mergesTextFromHfFiles(vocabJson, mergesTxt));
    expect(() => mergesTextFromTokenizerJson(JSON.stringify({ model: { type: "WordPiece" } }))).toThrow(/no BPE model/);
  });
});

describe("canonical vocabulary", () => {
  it("is deterministic, time-stamp free and keeps the tokenizer", () => {
    const a = canonicalVocabularyGz(demoMerges);
    expect(canonicalVocabularyGz(demoMerges)).toEqual(a);
    expect([...a.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    const back = strFromU8(gunzipSync(a));
    expect(createClipTokenizer(back).tokenize(sentences())).toEqual(createClipTokenizer(demoMerges).tokenize(sentences()));
    // a different header line, CRLF line ends and trailing blank lines do not change the stored bytes
    const variant = `"some-file.txt#version: 0.2\r\n${demoMerges.split("\n").slice(1).join("\r\n")}\r\n\r\n`;
    expect(canonicalVocabularyGz(variant)).toEqual(a);
  });

  it("is what readVocabulary stores for a .gz file, a plain file and an HF folder alike", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vocab-"));
    try {
      const { vocabJson, mergesTxt } = hfFilesOf(demoMerges);
      await writeFile(join(dir, "vocab.json"), vocabJson);
      await writeFile(join(dir, "merges.txt"), mergesTxt);
      await writeFile(join(dir, "merges.txt.gz"), gzipSync(strToU8(demoMerges), { mtime: 12345678 }));
      await writeFile(join(dir, "plain.txt"), demoMerges);
      const fromDir = await readVocabulary(dir);
      const fromGz = await readVocabulary(join(dir, "merges.txt.gz"));
      const fromPlain = await readVocabulary(join(dir, "plain.txt"));
      expect(fromDir.gz).toEqual(fromGz.gz);
      expect(fromPlain.gz).toEqual(fromGz.gz);
      await expect(readVocabulary(join(dir, "nope"))).rejects.toMatchObject({ code: "bad_vocabulary" });
      await rm(join(dir, "vocab.json"));
      await expect(readVocabulary(dir)).rejects.toThrow(/neither vocab.json \+ merges.txt nor tokenizer.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("defaults to OpenAI's CLIP vocabulary shipped in vocab/", async () => {
    expect(DEFAULT_VOCABULARY.endsWith("vocab/bpe_simple_vocab_16e6.txt.gz")).toBe(true);
    const v = await readVocabulary();
    const tok = createClipTokenizer(v.mergesText);
    expect(tok.vocabSize).toBe(49408);
    const ids = tok.encode("a photo of a damaged bottle.");
    expect([...tok.tokenize(["a photo of a damaged bottle."]).subarray(0, ids.length + 3)]).toEqual([tok.sot, ...ids, tok.eot, 0]);
    expect(tok.encode("a photo")).toEqual([320, 1125]);
  });
});
