// Splits cleaned text into pre-tokens with open_clip's pattern and maps each to byte characters.
import { toByteChars } from "./byte-encoder";
import { cleanLower } from "./clean-text";

export const SOT_TEXT = "<start_of_text>";
export const EOT_TEXT = "<end_of_text>";

// open_clip: special|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ (regex module,
// IGNORECASE). \s is spelled out as Python's Unicode White_Space so that e.g. U+FEFF stays a symbol
// as in Python (JS \s would treat it as a space); after whitespace_clean only ' ' remains anyway.
const WS = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PATTERN = new RegExp(`${SOT_TEXT}|${EOT_TEXT}|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WS}\\p{L}\\p{N}]+`, "giu");

/** Pre-tokens of already-cleaned text, as found by the pattern (not byte-mapped). */
export function splitCleaned(cleaned: string): string[] {
  return cleaned.match(PATTERN) ?? [];
}

/** clean -> split -> byte-map: the strings that BPE runs on. */
export function pretokenize(text: string): string[] {
  return splitCleaned(cleanLower(text)).map(toByteChars);
}
