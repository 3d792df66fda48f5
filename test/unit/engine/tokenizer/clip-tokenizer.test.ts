// CLIP tokenizer on a hand-built merges file: ids derived by hand from open_clip's rules.
import { describe, expect, it } from "vitest";
import { createClipTokenizer } from "../../../../src/engine/tokenizer/clip-tokenizer";

// Byte tokens: printable ASCII c (0x21..0x7e) has id c - 0x21; "c</w>" has id c - 0x21 + 256.
const id = (c: string) => c.charCodeAt(0) - 0x21;
const idW = (c: string) => id(c) + 256;

// merges 0..3 -> ids 512..515, then <start_of_text> = 516, <end_of_text> = 517.
const MERGES = "#version: 0.2\nh e\nl o</w>\nhe l\nhel lo</w>\n";
const HE = 512;
const HEL = 514;
const HELLO = 515;
const SOT = 516;
const EOT = 517;

const tok = createClipTokenizer(MERGES);

describe("createClipTokenizer (tiny vocabulary)", () => {
  it("derives size and special ids from the file", () => {
    expect(tok.vocabSize).toBe(518);
    expect(tok.sot).toBe(SOT);
    expect(tok.eot).toBe(EOT);
  });

  it("applies merges by rank: hello -> he l l o</w> -> he l lo</w> -> hel lo</w> -> hello</w>", () => {
    expect(tok.encode("hello")).toEqual([HELLO]);
  });

  it("stops when no ranked pair is left", () => {
    // hell: h e l l</w> -> he l l</w> -> hel l</w>; "hel l</w>" is not a merge.
    expect(tok.encode("hell")).toEqual([HEL, idW("l")]);
    expect(tok.encode("he")).toEqual([id("h"), idW("e")]); // "e</w>" is not "e": no merge
    expect(tok.encode("hex")).toEqual([HE, idW("x")]);
  });

  it("splits like open_clip's pattern: contractions, single digits, symbol runs", () => {
    expect(tok.encode("it's")).toEqual([id("i"), idW("t"), id("'"), idW("s")]);
    expect(tok.encode("42")).toEqual([idW("4"), idW("2")]);
    expect(tok.encode("a--b!")).toEqual([idW("a"), id("-"), idW("-"), idW("b"), idW("!")]);
  });

  it("maps non-ASCII through UTF-8 bytes (é = C3 A9)", () => {
    // 0xC3 is the 128th printable byte (index 127); 0xA9 is index 102, +256 with </w>.
    expect(tok.encode("é")).toEqual([127, 102 + 256]);
  });

  it("folds case and collapses whitespace", () => {
    const ref = tok.encode("hello hell");
    expect(tok.encode("HeLLo HELL")).toEqual(ref);
    expect(tok.encode("  hello \t\n\u00a0 hell  ")).toEqual(ref);
    expect(ref).toEqual([HELLO, HEL, idW("l")]);
  });

  it("unescapes HTML twice, like basic_clean", () => {
    expect(tok.encode("&amp;")).toEqual([idW("&")]);
    expect(tok.encode("&amp;amp;")).toEqual([idW("&")]);
    // the third level survives: "&amp;" -> "&", "amp", ";"
    expect(tok.encode("&amp;amp;amp;")).toEqual([idW("&"), id("a"), id("m"), idW("p"), idW(";")]);
  });

  it("recognises the special tokens inside text", () => {
    expect(tok.encode("<start_of_text>hello<end_of_text>")).toEqual([SOT, HELLO, EOT]);
  });

  it("tokenizes to [n, 77] with SOT/EOT framing and zero padding", () => {
    const out = tok.tokenize(["hello", ""]);
    expect(out).toBeInstanceOf(Int32Array);
    expect(out.length).toBe(2 * 77);
    expect(Array.from(out.subarray(0, 4))).toEqual([SOT, HELLO, EOT, 0]);
    expect(out.subarray(3, 77).every((v) => v === 0)).toBe(true);
    expect(Array.from(out.subarray(77, 80))).toEqual([SOT, EOT, 0]);
    expect(out.subarray(79, 154).every((v) => v === 0)).toBe(true);
  });

  it("truncates to the context length keeping EOT last", () => {
    const out = tok.tokenize([Array(100).fill("a").join(" ")]);
    expect(out.length).toBe(77);
    expect(out[0]).toBe(SOT);
    expect(out[76]).toBe(EOT);
    expect(out.subarray(1, 76).every((v) => v === idW("a"))).toBe(true);
    expect(Array.from(tok.tokenize(["hello hello"], 3))).toEqual([SOT, HELLO, EOT]);
    expect(Array.from(tok.tokenize(["hello"], 3))).toEqual([SOT, HELLO, EOT]);
  });

  it("decodes ids back to text", () => {
    expect(tok.decode(tok.encode("Hello, café 42"))).toBe("hello , café 4 2 ");
  });
});
