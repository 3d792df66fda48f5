// Python's html.unescape: numeric references exactly, named references for a documented subset.
//
// Numeric references follow CPython's Lib/html/__init__.py (_replace_charref, _invalid_charrefs,
// _invalid_codepoints). Named references cover the 106 legacy names that HTML5 also accepts without
// a semicolon (all of Latin-1 plus amp/lt/gt/quot and their upper-case forms) and a few common
// typographic ones; CPython knows ~2200 names, the rest are left as written. Prompts are built
// from templates and object names, where anything beyond this subset does not occur in practice.

const LATIN1_NAMES =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn " +
  "sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave " +
  "Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml " +
  "ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN " +
  "szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute " +
  "icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml " +
  "yacute thorn yuml";

const SEMICOLON_ONLY: Record<string, string> = {
  apos: "'",
  hellip: "\u2026",
  ndash: "\u2013",
  mdash: "\u2014",
  lsquo: "\u2018",
  rsquo: "\u2019",
  sbquo: "\u201a",
  ldquo: "\u201c",
  rdquo: "\u201d",
  bdquo: "\u201e",
  bull: "\u2022",
  trade: "\u2122",
  euro: "\u20ac",
  minus: "\u2212",
  prime: "\u2032",
  Prime: "\u2033",
};

/** Names valid without a trailing semicolon (HTML5 legacy), mapped to their text. */
const LEGACY = buildLegacy();
/** Every known name, keyed WITH its semicolon. */
const NAMED = buildNamed();

function buildLegacy(): Map<string, string> {
  const names = LATIN1_NAMES.split(" ");
  if (names.length !== 96) throw new Error("html-unescape: Latin-1 entity table is broken");
  const m = new Map<string, string>(names.map((n, i) => [n, String.fromCharCode(160 + i)]));
  for (const [n, v] of [
    ["amp", "&"],
    ["lt", "<"],
    ["gt", ">"],
    ["quot", '"'],
  ] as const) {
    m.set(n, v);
    m.set(n.toUpperCase(), v);
  }
  m.set("COPY", "\u00a9");
  m.set("REG", "\u00ae");
  return m;
}

function buildNamed(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [n, v] of LEGACY) m.set(`${n};`, v);
  for (const [n, v] of Object.entries(SEMICOLON_ONLY)) m.set(`${n};`, v);
  return m;
}

// CPython _invalid_charrefs: 0x00, 0x0d and the Windows-1252 reading of 0x80-0x9f.
export const CP1252_80_9F: readonly number[] = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d,
  0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function isInvalidCodepoint(n: number): boolean {
  return (n >= 0x1 && n <= 0x8) || n === 0xb || (n >= 0xe && n <= 0x1f) || (n >= 0x7f && n <= 0x9f) || (n >= 0xfdd0 && n <= 0xfdef) || (n & 0xfffe) === 0xfffe;
}

function numericRef(body: string): string {
  const hex = body[1] === "x" || body[1] === "X";
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, "");
  const n = Number.parseInt(digits, hex ? 16 : 10);
  if (n === 0) return "\ufffd";
  if (n === 0x0d) return "\r";
  if (n >= 0x80 && n <= 0x9f) return String.fromCodePoint(CP1252_80_9F[n - 0x80]!);
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return "\ufffd";
  if (isInvalidCodepoint(n)) return "";
  return String.fromCodePoint(n);
}

function namedRef(body: string): string {
  const exact = NAMED.get(body) ?? (body.endsWith(";") ? undefined : LEGACY.get(body));
  if (exact !== undefined) return exact;
  // Longest legacy prefix, as CPython does ("&notit;" -> "¬it;").
  for (let x = body.length - 1; x > 1; x--) {
    const v = LEGACY.get(body.slice(0, x));
    if (v !== undefined) return v + body.slice(x);
  }
  return `&${body}`;
}

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** One round of html.unescape. */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, (_m, body: string) => (body[0] === "#" ? numericRef(body) : namedRef(body)));
}
