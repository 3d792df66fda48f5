// PNG decoding with workerd's native inflate (DecompressionStream read BYOB): the same pixels as the JS inflater, and
// for every broken file the same error (code and message) as decodeImage gives.
import { encode } from "fast-png";
import { zlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../src/compiler/concat-bytes";
import { crc32 } from "../../src/engine/image/crc32";
import { decodeImage, decodeImageLeased } from "../../src/engine/image/decode";
import { ImageError } from "../../src/engine/image/image-error";
import { nativeInflateSupported } from "../../src/engine/image/inflate-native";
import { BytePool } from "../../src/shared/byte-pool";
import { syntheticPng } from "./images";

const LIMIT = { maxPixels: 4_000_000 };

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG from raw parts: signature, IHDR (8-bit, colour type `color`), the IDAT payload split every `split` bytes, IEND. */
function pngWith(width: number, height: number, color: number, idat: Uint8Array, split = idat.length || 1): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, color, 0, 0, 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  for (let at = 0; at < idat.length; at += split) parts.push(chunk("IDAT", idat.subarray(at, at + split)));
  parts.push(chunk("IEND", new Uint8Array(0)));
  return concatBytes(parts);
}

/** Filtered RGB scanlines of noise with every filter type (Paeth included), as an encoder would write them. */
function rgbRows(width: number, height: number, seed: number): Uint8Array {
  const stride = 1 + width * 3;
  const raw = new Uint8Array(height * stride);
  let s = seed;
  for (let y = 0; y < height; y++) {
    raw[y * stride] = y % 5;
    for (let i = 1; i < stride; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      raw[y * stride + i] = (i >> 5) % 3 === 0 ? s >>> 24 : (y * 7 + i) & 255;
    }
  }
  return raw;
}

async function outcome(bytes: Uint8Array, pool: BytePool): Promise<{ data?: Uint8Array; error?: string }> {
  try {
    const { image, release } = await decodeImageLeased(bytes, LIMIT, pool);
    const data = image.data.slice();
    release();
    return { data };
  } catch (err) {
    if (err instanceof ImageError) return { error: `${err.code}: ${err.message}` };
    throw err;
  }
}

function syncOutcome(bytes: Uint8Array): { data?: Uint8Array; error?: string } {
  try {
    return { data: decodeImage(bytes, LIMIT).data.slice() };
  } catch (err) {
    if (err instanceof ImageError) return { error: `${err.code}: ${err.message}` };
    throw err;
  }
}

describe("decodeImageLeased in workerd", () => {
  it("has a BYOB-readable DecompressionStream here (the native path runs)", () => {
    expect(nativeInflateSupported()).toBe(true);
  });

  it("gives decodeImage's pixels from a pooled buffer, and leaves the upload's bytes as they were", async () => {
    const pool = new BytePool(64 * 2 ** 20);
    const rows = rgbRows(301, 203, 9);
    for (const bytes of [
      syntheticPng(900, 700, 3),
      syntheticPng(17, 5, 1),
      pngWith(301, 203, 2, zlibSync(rows)),
      pngWith(301, 203, 2, zlibSync(rows), 8192), // many IDAT chunks, as real encoders write
      pngWith(301, 203, 2, zlibSync(rows), 7),
      encode({ width: 40, height: 30, data: new Uint8Array(40 * 30 * 4).map((_, i) => (i * 37) & 255), channels: 4, depth: 8 }),
      encode({ width: 40, height: 30, data: new Uint16Array(40 * 30).map((_, i) => i * 50), channels: 1, depth: 16 }),
    ]) {
      const copy = bytes.slice();
      const want = decodeImage(bytes, LIMIT);
      const { image, release } = await decodeImageLeased(bytes, LIMIT, pool);
      expect(pool.checkedOut).toBe(1);
      expect([image.width, image.height, image.channels, image.mode]).toEqual([want.width, want.height, want.channels, want.mode]);
      expect(Buffer.from(image.data).equals(Buffer.from(want.data))).toBe(true);
      expect(image.alpha === undefined).toBe(want.alpha === undefined);
      release();
      expect(pool.checkedOut).toBe(0);
      expect(Buffer.from(bytes).equals(Buffer.from(copy))).toBe(true);
    }
  });

  it("gives decodeImage's error, code and message, for truncated, corrupt and oversized data", async () => {
    const pool = new BytePool(64 * 2 ** 20);
    const rows = rgbRows(64, 48, 4);
    const good = pngWith(64, 48, 2, zlibSync(rows), 1000);
    const z = zlibSync(rows);
    const badAdler = z.slice();
    badAdler[badAdler.length - 1]! ^= 0xff;
    const flipped = z.slice();
    flipped[z.length >> 1]! ^= 0x5a;
    const cases: Array<[string, Uint8Array]> = [
      ...[20, 40, 200, good.length - 13, good.length - 1].map((cut): [string, Uint8Array] => [`cut at ${cut}`, good.subarray(0, cut)]),
      ["missing rows", pngWith(64, 48, 2, zlibSync(rows.subarray(0, rows.length >> 1)))],
      ["stream cut mid-way", pngWith(64, 48, 2, z.subarray(0, z.length >> 1))],
      ["not zlib", pngWith(64, 48, 2, Uint8Array.from([1, 2, 3, 4]))],
      ["a flipped byte", pngWith(64, 48, 2, flipped)],
      ["bad Adler-32 trailer (PIL and the JS inflater ignore it)", pngWith(64, 48, 2, badAdler)],
      ["bytes after the zlib stream", pngWith(64, 48, 2, concatBytes([z, Uint8Array.from([9, 9, 9, 9, 9])]))],
      ["rows past the declared size, within the slack", pngWith(64, 48, 2, zlibSync(rgbRows(64, 50, 4)))],
      ["a bomb: 20 MB of rows for a 10x10 image", pngWith(10, 10, 2, zlibSync(new Uint8Array(20_000_000)))],
    ];
    for (const [name, bytes] of cases) {
      const want = syncOutcome(bytes);
      const got = await outcome(bytes, pool);
      expect(got.error, name).toBe(want.error);
      expect(got.data === undefined, name).toBe(want.data === undefined);
      if (want.data) expect(Buffer.from(got.data!).equals(Buffer.from(want.data)), name).toBe(true);
      expect(pool.checkedOut, name).toBe(0);
    }
    // Some of these really are rejected (the comparison above is not between two successes only).
    expect(syncOutcome(good.subarray(0, 200)).error).toMatch(/^corrupt_image/);
    expect(syncOutcome(cases.at(-1)![1]).error).toMatch(/image data larger than the header declares/);
  });
});
