// open_clip's text cleaning for clean='lower': basic_clean, whitespace_clean, then lower-case.
//
// basic_clean = ftfy.fix_text -> html.unescape twice -> strip. ftfy is not ported: only its
// character-level fixes that change CLIP tokens are reproduced (latin ligatures, character width,
// curly quotes, control characters, NFC); mojibake repair is not. For ASCII and well-formed
// Unicode text (every prompt) fix_text is a no-op apart from these.
import { CP1252_80_9F, htmlUnescape } from "./html-unescape";

// Python's str.isspace() set, which is what `re` \s and str.strip() use.
const PY_WS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WS_RUN = new RegExp(`[${PY_WS}]+`, "g");
const WS_EDGES = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "g");

const LIGATURES: Record<string, string> = {
  "\u0132": "IJ",
  "\u0133": "ij",
  "\ufb00": "ff",
  "\ufb01": "fi",
  "\ufb02": "fl",
  "\ufb03": "ffi",
  "\ufb04": "ffl",
  "\ufb05": "\u017ft",
  "\ufb06": "st",
};
const LIGATURE_RE = /[\u0132\u0133\ufb00-\ufb06]/g;
// ftfy.fix_character_width: U+3000 -> space, U+FF01..U+FFEF -> their NFKC form.
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;
// ftfy.remove_control_chars (C1 controls were already mapped through Windows-1252 by fix_c1_controls)
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}]/gu;

/** The character-level subset of ftfy.fix_text described above. */
export function fixText(text: string): string {
  return text
    .replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_80_9F[c.charCodeAt(0) - 0x80]!))
    .replace(LIGATURE_RE, (c) => LIGATURES[c] ?? c)
    .replace(WIDTH_RE, (c) => (c === "\u3000" ? " " : c.normalize("NFKC")))
    .replace(/[\u2018-\u201b]/g, "'")
    .replace(/[\u201c-\u201f]/g, '"')
    .replace(CONTROL_RE, "")
    .normalize("NFC");
}

/** Python str.strip() with no argument. */
export function pyStrip(text: string): string {
  return text.replace(WS_EDGES, "");
}

/** open_clip basic_clean. */
export function basicClean(text: string): string {
  return pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
}

/** open_clip whitespace_clean: collapse every whitespace run to one space, then strip. */
export function whitespaceClean(text: string): string {
  return pyStrip(text.replace(WS_RUN, " "));
}

/** open_clip _clean_lower, the default cleaning of SimpleTokenizer. */
export function cleanLower(text: string): string {
  return whitespaceClean(basicClean(text)).toLowerCase();
}
