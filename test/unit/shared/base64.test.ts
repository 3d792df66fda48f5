// Decoding base64 into a given buffer: the same bytes and the same refusals as decodeBase64 (atob's rules).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeBase64, decodeBase64Into, encodeBase64 } from "../../../src/shared/base64";

describe("decodeBase64Into", () => {
  const cases = [
    "",
    "=",
    "==",
    "a",
    "ab",
    "abc",
    "abcd",
    "ab==",
    "abc=",
    "ab=",
    "a===",
    "ab=c",
    "abcde",
    "abcdef",
    "abcdefg",
    "ab==cd==",
    "AP//",
    "/+9A",
    " YW Jj\nZA==\t",
    "data:image/png;base64,iVBORw0KGgo=",
    "DATA:;base64,AAAA",
    "not base64!",
    "YWJj%",
    "Zm9vYmFy",
    "Zm9vYmE=",
    "Zm9vYg==",
    "Zm9vYh==",
    "Zm9vYmF=",
  ];

  it.each(cases)("agrees with decodeBase64 on %j", (text) => {
    const expected = decodeBase64(text);
    const actual = decodeBase64Into(text, new Uint8Array(64));
    expect(actual === undefined ? undefined : Array.from(actual)).toEqual(expected === undefined ? undefined : Array.from(expected));
  });

  it("decodes a real PNG into the start of the buffer it is given, and refuses one that does not fit", () => {
    const png = new Uint8Array(readFileSync(join(__dirname, "../../../../shared/data/mvtec/bottle/test/good/000.png")));
    const text = encodeBase64(png);
    const into = new Uint8Array(text.length);
    const bytes = decodeBase64Into(text, into)!;
    expect(bytes.buffer).toBe(into.buffer);
    expect(bytes.byteOffset).toBe(0);
    expect(Buffer.from(bytes).equals(Buffer.from(png))).toBe(true);
    expect(decodeBase64Into(text, new Uint8Array(png.length - 1))).toBeUndefined();
    // Every length modulo 3, random bytes.
    for (let n = 0; n < 40; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 13) & 255);
      const decoded = decodeBase64Into(`${encodeBase64(data)}`, new Uint8Array(n));
      expect(n === 0 ? decoded : Array.from(decoded!)).toEqual(n === 0 ? undefined : Array.from(data));
    }
  });
});

describe("encodeBase64", () => {
  it("matches Node's base64 for every length modulo 3, all byte values and a real PNG, call after call", () => {
    const png = new Uint8Array(readFileSync(join(__dirname, "../../../../shared/data/mvtec/bottle/test/good/000.png")));
    const inputs = [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.of(255, 254),
      Uint8Array.from({ length: 256 }, (_, i) => i),
      png,
      ...Array.from({ length: 20 }, (_, n) => Uint8Array.from({ length: n }, (_, i) => (i * 151 + n) & 255)),
      png.subarray(0, 1000),
    ];
    for (const bytes of inputs) expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
    expect(Array.from(decodeBase64(encodeBase64(png))!)).toEqual(Array.from(png));
  });
});
