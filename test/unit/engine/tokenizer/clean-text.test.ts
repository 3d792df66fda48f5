// Text cleaning: html.unescape semantics and the ftfy subset.
import { describe, expect, it } from "vitest";
import { cleanLower, fixText } from "../../../../src/engine/tokenizer/clean-text";
import { htmlUnescape } from "../../../../src/engine/tokenizer/html-unescape";

describe("htmlUnescape (CPython html.unescape)", () => {
  it("handles numeric references, including the invalid ones", () => {
    expect(htmlUnescape("&#39;&#x27;&#X41;")).toBe("''A");
    expect(htmlUnescape("&#128;")).toBe("\u20ac"); // Windows-1252 reading
    expect(htmlUnescape("&#0;")).toBe("\ufffd");
    expect(htmlUnescape("&#xD800;")).toBe("\ufffd");
    expect(htmlUnescape("&#1;")).toBe("");
    expect(htmlUnescape("&#65")).toBe("A"); // semicolon optional
  });

  it("handles named references, legacy ones without semicolon", () => {
    expect(htmlUnescape("&lt;b&gt; &amp; &quot;x&quot; &eacute;")).toBe('<b> & "x" é');
    expect(htmlUnescape("&amp")).toBe("&");
    expect(htmlUnescape("&notit;")).toBe("\u00acit;"); // longest legacy prefix
    expect(htmlUnescape("&apos;")).toBe("'");
    expect(htmlUnescape("&apos")).toBe("&apos"); // not a legacy name
    expect(htmlUnescape("&bogus; & x")).toBe("&bogus; & x");
  });
});

describe("fixText (ftfy subset)", () => {
  it("uncurls quotes, splits latin ligatures, narrows full-width forms", () => {
    expect(fixText("don\u2019t \u201cfine\u201d")).toBe('don\'t "fine"');
    expect(fixText("\ufb01ne")).toBe("fine");
    expect(fixText("\uff21\uff22\uff23\u3000x")).toBe("ABC x");
  });

  it("removes control characters and composes to NFC", () => {
    expect(fixText("a\u0000b\ufeffc")).toBe("abc");
    expect(fixText("cafe\u0301")).toBe("caf\u00e9");
  });
});

describe("cleanLower (open_clip _clean_lower)", () => {
  it("unescapes, collapses whitespace, strips and lower-cases", () => {
    expect(cleanLower("  Hello,\t\n  WORLD&amp;amp;  ")).toBe("hello, world&");
    expect(cleanLower("")).toBe("");
    expect(cleanLower(" \u00a0\u2003 ")).toBe("");
  });
});
