// Our allocation-free inflate against Node's zlib and fflate: real PNGs from ../shared, every zlib strategy and level,
// stored blocks, corrupt and truncated streams, and output that does not fit.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { constants, deflateSync, inflateSync } from "node:zlib";
import { unzlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { InflateError, inflateZlibInto } from "../../../../src/engine/image/inflate";

const DATA = join(__dirname, "../../../../../shared/data");

function pngFiles(dir: string, limit: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= limit) return;
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".png")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** The PNG's IDAT payloads joined: one zlib stream. */
function idatStream(png: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [];
  for (let pos = 8; pos + 8 <= png.length; ) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    if (type === "IDAT") parts.push(png.subarray(pos + 8, pos + 8 + length));
    if (type === "IEND") break;
    pos += 12 + length;
  }
  return Buffer.concat(parts);
}

function inflateExact(stream: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  expect(inflateZlibInto(stream, out)).toBe(size);
  return out;
}

function noise(n: number, seed: number, alphabet = 256): Uint8Array {
  let s = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) % alphabet;
  }
  return out;
}

describe("inflateZlibInto", () => {
  const files = [...pngFiles(join(DATA, "mvtec"), 6), ...pngFiles(join(DATA, "magnetic_tile"), 6)];

  it("finds real PNGs in ../shared/data", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files.map((f) => [f.slice(DATA.length + 1), f]))("inflates the IDAT stream of %s exactly as zlib and fflate do", (_, file) => {
    const stream = idatStream(new Uint8Array(readFileSync(file)));
    const reference = new Uint8Array(inflateSync(stream));
    const ours = inflateExact(stream, reference.length);
    expect(Buffer.from(ours).equals(Buffer.from(reference))).toBe(true);
    expect(Buffer.from(unzlibSync(stream)).equals(Buffer.from(ours))).toBe(true);
  });

  const strategies = [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED];
  it.each(strategies.flatMap((strategy) => [0, 1, 6, 9].map((level) => [strategy, level])))(
    "round-trips zlib output (strategy %i, level %i)",
    (strategy, level) => {
      // Runs, short repeats (distance < length), text-like and random stretches: every block type and code shape.
      const data = Buffer.concat([
        new Uint8Array(70_000).fill(7),
        noise(20_000, 3, 4),
        Buffer.from("abcabcabcabd".repeat(3000)),
        noise(40_000, 9),
        new Uint8Array(300).fill(1),
      ]);
      const stream = deflateSync(data, { level, strategy });
      expect(Buffer.from(inflateExact(stream, data.length)).equals(data)).toBe(true);
    },
  );

  it("inflates empty data and a single byte", () => {
    expect(inflateZlibInto(deflateSync(Buffer.alloc(0)), new Uint8Array(0))).toBe(0);
    expect(Array.from(inflateExact(deflateSync(Buffer.from([42])), 1))).toEqual([42]);
  });

  it("stops with overflow as soon as the output would not fit, having written only what fits", () => {
    const data = new Uint8Array(1_000_000); // a 1 MB "bomb" of zeros, ~1 kB compressed
    const stream = deflateSync(data, { level: 9 });
    const out = new Uint8Array(5000);
    const err = (() => {
      try {
        inflateZlibInto(stream, out);
      } catch (e) {
        return e as InflateError;
      }
      throw new Error("no error");
    })();
    expect(err).toBeInstanceOf(InflateError);
    expect(err.overflow).toBe(true);
    expect(err.produced).toBe(5000);
    // Stored blocks overflow the same way.
    expect(() => inflateZlibInto(deflateSync(noise(3000, 1), { level: 0 }), new Uint8Array(100))).toThrow(/larger than expected/);
  });

  it("refuses bad headers, corrupt data and truncated streams (produced reports the bytes written)", () => {
    const data = Buffer.concat([noise(5000, 5, 16), noise(5000, 6)]);
    const stream = deflateSync(data);
    const out = new Uint8Array(data.length);
    expect(() => inflateZlibInto(Uint8Array.from([0x78]), out)).toThrow(/truncated zlib header/);
    expect(() => inflateZlibInto(Uint8Array.from([0x79, 0x9c, 0, 0]), out)).toThrow(/invalid zlib header/);
    expect(() => inflateZlibInto(Uint8Array.from([0x78, 0xbb, 0, 0, 0, 0]), out)).toThrow(/dictionar/);
    const truncated = stream.subarray(0, stream.length >> 1);
    let produced = -1;
    try {
      inflateZlibInto(truncated, out);
    } catch (e) {
      expect(e).toBeInstanceOf(InflateError);
      produced = (e as InflateError).produced;
    }
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(data.length);
    expect(Buffer.from(out.subarray(0, produced)).equals(data.subarray(0, produced))).toBe(true);
    // Block type 3 is reserved.
    expect(() => inflateZlibInto(Uint8Array.from([0x78, 0x9c, 0b111, 0, 0, 0]), out)).toThrow(/invalid block type/);
    // Flipped bits anywhere either throw InflateError or decode to different bytes: never anything else.
    for (let i = 2; i < stream.length - 4; i += Math.max(1, stream.length >> 6)) {
      const bad = Uint8Array.from(stream);
      bad[i]! ^= 0x10;
      try {
        inflateZlibInto(bad, new Uint8Array(data.length + 100));
      } catch (e) {
        expect(e).toBeInstanceOf(InflateError);
      }
    }
  });
});
