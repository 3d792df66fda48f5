// The one byte form a bundle stores its vocabulary in, whatever file it came from: gzip of the merges the tokenizer
// uses (header line, then one "a b" per line), level 9, no file name, zero mtime. Two sources giving the same tokenizer
// (OpenAI's bpe_simple_vocab_16e6.txt.gz, a Hugging Face vocab.json + merges.txt) thus give the same bundle bytes,
// hence the same modelHash.
import { gzipSync, strToU8 } from "fflate";
import { mergeLines } from "../../engine/tokenizer/vocab";

export function canonicalMergesText(mergesText: string): string {
  return `#version: 0.2\n${mergeLines(mergesText.replace(/\r\n/g, "\n")).join("\n")}\n`;
}

export function canonicalVocabularyGz(mergesText: string): Uint8Array {
  const gz = gzipSync(strToU8(canonicalMergesText(mergesText)), { level: 9 });
  // gzip header bytes 4..7 are the mtime, which fflate sets to now; zero means "no time stamp" (RFC 1952).
  gz.fill(0, 4, 8);
  return gz;
}
