// Our synchronous zlib compressor, read back by Node's zlib, fflate and our own inflate: empty, tiny, random,
// skewed and repetitive inputs, several blocks, a real PNG's pixels, and an output buffer that is too small.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, inflateSync } from "node:zlib";
import { unzlibSync } from "fflate";
import { decode } from "fast-png";
import { describe, expect, it } from "vitest";
import { adler32, zlibBound, zlibCompress } from "../../../../src/engine/image/deflate";
import { inflateZlibInto } from "../../../../src/engine/image/inflate";

const DATA = join(__dirname, "../../../../../shared/data");

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

function compress(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(zlibBound(data.length));
  return out.subarray(0, zlibCompress(data, out));
}

function expectRoundTrip(data: Uint8Array): Uint8Array {
  const z = compress(data);
  expect(Buffer.from(inflateSync(z)).equals(Buffer.from(data))).toBe(true);
  expect(Buffer.from(unzlibSync(z)).equals(Buffer.from(data))).toBe(true);
  const back = new Uint8Array(data.length);
  expect(inflateZlibInto(z, back)).toBe(data.length);
  expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
  return z;
}

const inputs: [string, (n: number) => Uint8Array][] = [
  ["uniform random bytes", (n) => Uint8Array.from({ length: n }, random(n + 1)).map((v) => v * 256)],
  [
    "bytes from 3 values, skewed",
    (n) => {
      const r = random(n + 7);
      return Uint8Array.from({ length: n }, () => (r() < 0.9 ? 0 : r() < 0.5 ? 1 : 255));
    },
  ],
  ["one byte repeated", (n) => new Uint8Array(n).fill(42)],
  [
    "a short pattern repeated with noise",
    (n) => {
      const r = random(n + 3);
      return Uint8Array.from({ length: n }, (_, i) => (r() < 0.02 ? r() * 256 : (i * 7) % 13));
    },
  ],
];

describe("zlibCompress", () => {
  it.each(inputs)("round-trips %s of every size from 0 to 300,000 bytes (several blocks)", (_, make) => {
    for (const n of [0, 1, 2, 3, 4, 5, 17, 258, 259, 1000, 65_536, 70_001, 300_000]) expectRoundTrip(make(n));
  });

  it("compresses repetitive data far below its size and random data to at most zlibBound", () => {
    expect(expectRoundTrip(new Uint8Array(100_000).fill(7)).length).toBeLessThan(1_000);
    const noise = inputs[0]![1](100_000);
    expect(expectRoundTrip(noise).length).toBeLessThanOrEqual(zlibBound(noise.length));
  });

  it("a real PNG's pixels: within 15% of zlib's default level", () => {
    const dir = join(DATA, "mvtec/bottle/test/good");
    const file = readdirSync(dir).find((f) => f.endsWith(".png"))!;
    const pixels = decode(readFileSync(join(dir, file))).data as Uint8Array;
    const ours = expectRoundTrip(pixels).length;
    expect(ours).toBeLessThan(deflateSync(pixels).length * 1.15);
  });

  it("limits code lengths to 15 bits for Fibonacci-skewed byte counts (an unlimited Huffman tree is deeper)", () => {
    const counts = [1, 1];
    while (counts.length < 24) counts.push(counts.at(-1)! + counts.at(-2)!);
    const bytes = counts.flatMap((c, value) => new Array<number>(c).fill(value * 10));
    const r = random(5);
    for (let i = bytes.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [bytes[i], bytes[j]] = [bytes[j]!, bytes[i]!];
    }
    expectRoundTrip(Uint8Array.from(bytes));
  });

  it("refuses an output buffer below zlibBound", () => {
    expect(() => zlibCompress(new Uint8Array(10), new Uint8Array(zlibBound(10) - 1))).toThrow(RangeError);
  });
});

describe("adler32", () => {
  /** RFC 1950's definition, reduced at every byte. */
  const plain = (data: Uint8Array) => {
    let a = 1;
    let b = 0;
    for (const v of data) {
      a = (a + v) % 65521;
      b = (b + a) % 65521;
    }
    return b * 65536 + a;
  };

  it.each([0, 1, 1999, 2000, 2001, 5552, 20_011])("matches the per-byte definition on %i random bytes", (n) => {
    const data = Uint8Array.from({ length: n }, random(n + 7)).map((v) => v * 256);
    expect(adler32(data)).toBe(plain(data));
  });

  it("matches it where the sums are largest (all bytes 255, 100 kB) and on zeros", () => {
    expect(adler32(new Uint8Array(100_000).fill(255))).toBe(plain(new Uint8Array(100_000).fill(255)));
    expect(adler32(new Uint8Array(7000))).toBe(plain(new Uint8Array(7000)));
  });
});
