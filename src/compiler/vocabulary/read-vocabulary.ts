// Node side: reads a vocabulary from a gzipped or plain merges file or a Hugging Face tokenizer folder.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, strFromU8 } from "fflate";
import { canonicalVocabularyGz } from "./canonical-vocabulary";
import { CompileError } from "../compile-bundle";
import { mergesTextFromHfFiles, mergesTextFromTokenizerJson } from "./hf-tokenizer-files";

/** OpenAI's CLIP vocabulary, shipped in the repository (vocab/NOTICE.md). */
export const DEFAULT_VOCABULARY = fileURLToPath(new URL("../../../vocab/bpe_simple_vocab_16e6.txt.gz", import.meta.url));

export interface Vocabulary {
  /** The merges text the tokenizer reads. */
  mergesText: string;
  /** What the bundle stores (canonicalVocabularyGz of mergesText). */
  gz: Uint8Array;
  /** Human description of where it came from. */
  source: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function mergesTextOfFolder(dir: string): Promise<{ text: string; source: string }> {
  if ((await exists(join(dir, "vocab.json"))) && (await exists(join(dir, "merges.txt")))) {
    return {
      text: mergesTextFromHfFiles(await readFile(join(dir, "vocab.json"), "utf8"), await readFile(join(dir, "merges.txt"), "utf8")),
      source: `${dir}/vocab.json + merges.txt`,
    };
  }
  if (await exists(join(dir, "tokenizer.json"))) {
    return { text: mergesTextFromTokenizerJson(await readFile(join(dir, "tokenizer.json"), "utf8")), source: `${dir}/tokenizer.json` };
  }
  throw new CompileError("bad_vocabulary", `${dir} has neither vocab.json + merges.txt nor tokenizer.json`);
}

/** `path`: a .txt.gz / .txt merges file, or a folder with vocab.json + merges.txt (or tokenizer.json). */
export async function readVocabulary(path: string = DEFAULT_VOCABULARY): Promise<Vocabulary> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw new CompileError("bad_vocabulary", `cannot read vocabulary ${path}: ${(e as Error).message}`);
  }
  let text: string;
  let source = path;
  if (isDir) ({ text, source } = await mergesTextOfFolder(path));
  else {
    const bytes = new Uint8Array(await readFile(path));
    try {
      text = strFromU8(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
    } catch (e) {
      throw new CompileError("bad_vocabulary", `${path} is not a gzipped BPE merges file: ${(e as Error).message}`);
    }
  }
  return { mergesText: text, gz: canonicalVocabularyGz(text), source };
}
