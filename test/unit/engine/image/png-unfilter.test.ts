// Our one-inflate PNG path against fast-png on files whose rows use every filter type, 8- and 16-bit.
import { decode as fastPngDecode } from "fast-png";
import { zlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../../src/engine/image/decode";

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG whose row y is written with filter (y + firstFilter) % 5, from samples given as bytes (big-endian for 16-bit). */
function filteredPng(width: number, height: number, colorType: number, bitDepth: 8 | 16, samples: Uint8Array, firstFilter = 0): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType]!;
  const bpp = (channels * bitDepth) / 8;
  const stride = width * bpp;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const filter = (y + firstFilter) % 5;
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const x = samples[y * stride + i]!;
      const a = i >= bpp ? samples[y * stride + i - bpp]! : 0;
      const b = y > 0 ? samples[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? samples[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const pred = [
        0,
        a,
        b,
        (a + b) >> 1,
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c,
      ][filter]!;
      raw[y * (stride + 1) + 1 + i] = (x - pred) & 255;
    }
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const parts = [Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10), chunk("IHDR", ihdr), chunk("IDAT", zlibSync(raw)), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function randomBytes(n: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 24;
  });
}

describe("PNG unfiltering", () => {
  for (const [colorType, channels] of [
    [0, 1],
    [2, 3],
    [6, 4],
  ] as const) {
    it(`colour type ${colorType}, 8-bit, all five filters: same pixels as fast-png`, () => {
      const png = filteredPng(13, 10, colorType, 8, randomBytes(13 * 10 * channels, colorType + 1));
      const ours = decodeImage(png, { maxPixels: 1e6 });
      const reference = fastPngDecode(png);
      const expected = Uint8Array.from(reference.data as Uint8Array);
      if (colorType === 6) {
        const rgb = Uint8Array.from({ length: 13 * 10 * 3 }, (_, i) => expected[Math.floor(i / 3) * 4 + (i % 3)]!);
        expect(Array.from(ours.data)).toEqual(Array.from(rgb));
        expect(Array.from(ours.alpha!)).toEqual(Array.from({ length: 130 }, (_, i) => expected[i * 4 + 3]!));
      } else {
        expect(Array.from(ours.data)).toEqual(Array.from(expected));
      }
    });
  }

  for (const firstFilter of [1, 2, 3, 4]) {
    it(`filter ${firstFilter} on the first row (no row above): same pixels as fast-png`, () => {
      const png = filteredPng(11, 7, 2, 8, randomBytes(11 * 7 * 3, 20 + firstFilter), firstFilter);
      const ours = decodeImage(png, { maxPixels: 1e6 });
      expect(Array.from(ours.data)).toEqual(Array.from(fastPngDecode(png).data as Uint8Array));
    });
  }

  for (const width of [1, 2, 37]) {
    it(`8-bit RGB ${width} pixels wide, Paeth on every fifth row (its 3-byte path): same pixels as fast-png`, () => {
      // Random bytes on odd rows, a ramp with ties (left = up = diag cases) on even ones.
      const samples = randomBytes(width * 16 * 3, 40 + width).map((v, i) => (Math.floor(i / (width * 3)) % 2 ? v : (i % 7) * 40));
      const png = filteredPng(width, 16, 2, 8, samples, 4);
      const ours = decodeImage(png, { maxPixels: 1e6 });
      expect(Array.from(ours.data)).toEqual(Array.from(fastPngDecode(png).data as Uint8Array));
      expect(Array.from(ours.data)).toEqual(Array.from(samples));
    });
  }

  it("16-bit RGB keeps the high byte of each big-endian sample", () => {
    const samples = randomBytes(7 * 6 * 3 * 2, 9);
    const ours = decodeImage(filteredPng(7, 6, 2, 16, samples), { maxPixels: 1e6 });
    expect(Array.from(ours.data)).toEqual(Array.from({ length: 7 * 6 * 3 }, (_, i) => samples[2 * i]!));
  });

  it("rejects an unknown filter type", () => {
    const png = filteredPng(4, 4, 0, 8, randomBytes(16, 3));
    // Same header (signature + IHDR = 33 bytes), new IDAT whose row 0 has filter byte 9.
    const raw = new Uint8Array(4 * 5).fill(0);
    raw[0] = 9;
    const broken = new Uint8Array([...png.subarray(0, 33), ...chunk("IDAT", zlibSync(raw)), ...chunk("IEND", new Uint8Array(0))]);
    expect(() => decodeImage(broken, { maxPixels: 1e6 })).toThrow(/filter type 9/);
  });
});
