// The Hugging Face files of the real CLIP vocabulary (../shared/clip/hf) against OpenAI's gzip file: same tokens for every
// prompt sentence of every known object, byte-identical stored vocabulary, hence the same bundle modelHash.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compileCheckpointDir } from "../../src/compiler/build-model-dir";
import { readVocabulary } from "../../src/compiler/vocabulary/read-vocabulary";
import { promptSentences } from "../../src/engine/anomaly/prompts";
import { createClipTokenizer } from "../../src/engine/tokenizer/clip-tokenizer";
import { DEMO_OBJECT_NAMES } from "../../src/engine/tokenizer/demo-vocab";

const CLIP = resolve(__dirname, "../../../shared/clip");
const CASE = resolve(__dirname, "../../../shared/oracle/tiny-gelu-224/model");

describe("Hugging Face CLIP vocabulary", () => {
  it("finds the shared vocabulary files", () => {
    expect(existsSync(join(CLIP, "hf", "vocab.json")), `no ${CLIP}/hf: test:parity needs ../shared beside the checkout`).toBe(true);
  });

  it("tokenizes every prompt sentence of every known object exactly as the gzip vocabulary", async () => {
    const gz = await readVocabulary(join(CLIP, "bpe_simple_vocab_16e6.txt.gz"));
    const hf = await readVocabulary(join(CLIP, "hf"));
    const shipped = await readVocabulary();
    const a = createClipTokenizer(gz.mergesText);
    const b = createClipTokenizer(hf.mergesText);
    expect(b.vocabSize).toBe(49408);
    const sentences = DEMO_OBJECT_NAMES.flatMap((n) => {
      const s = promptSentences(n);
      return [...s.normal, ...s.abnormal];
    });
    expect(sentences.length).toBeGreaterThan(DEMO_OBJECT_NAMES.length * 100);
    expect(b.tokenize(sentences)).toEqual(a.tokenize(sentences));
    expect(hf.gz).toEqual(gz.gz);
    expect(shipped.gz).toEqual(gz.gz);
  });

  it("gives bundles with the same files and modelHash as the gzip vocabulary", async () => {
    const common = { from: CASE, out: "models/x" };
    const withGz = await compileCheckpointDir({ ...common, vocab: join(CLIP, "bpe_simple_vocab_16e6.txt.gz") });
    const withHf = await compileCheckpointDir({ ...common, vocab: join(CLIP, "hf") });
    const withDefault = await compileCheckpointDir(common);
    expect(withHf.manifest.files).toEqual(withGz.manifest.files);
    expect(withHf.manifest.modelHash).toBe(withGz.manifest.modelHash);
    expect(withDefault.manifest.modelHash).toBe(withGz.manifest.modelHash);
  });
});
