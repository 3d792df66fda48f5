// zlib/DEFLATE decompression (RFC 1950/1951) into a caller's buffer, with no allocation per call.
//
// fflate's streaming inflater allocates its output window, every output chunk and a grown buffer per pushed slice
// (megabytes of garbage per PNG); its one-shot form writes into a given buffer but keeps decoding past its end, so a
// bomb costs CPU without bound. This decoder writes into `out` and stops as soon as the data would not fit. Its
// Huffman tables are the module's own, reused by every call (all calls are synchronous).

export class InflateError extends Error {
  constructor(
    message: string,
    /** Bytes written to `out` before the error. */
    readonly produced: number,
    /** True when the data would have produced more than `out` holds. */
    readonly overflow = false,
  ) {
    super(message);
    this.name = "InflateError";
  }
}

const LENGTH_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LENGTH_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = new Uint16Array([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * A decoding table: indexed by the next `bits` input bits (LSB first), an entry is (symbol << 4) | code length; 0 marks
 * a bit pattern that no code starts with.
 */
interface Table {
  entries: Uint16Array;
  bits: number;
}

const MAX_BITS = 15;
const counts = new Uint16Array(MAX_BITS + 1);
const nextCode = new Uint16Array(MAX_BITS + 1);
const lengths = new Uint8Array(286 + 32);
const codeLengthLengths = new Uint8Array(19);
const literalTable: Table = { entries: new Uint16Array(1 << MAX_BITS), bits: 0 };
const distanceTable: Table = { entries: new Uint16Array(1 << MAX_BITS), bits: 0 };
const codeLengthTable: Table = { entries: new Uint16Array(1 << 7), bits: 0 };
const fixedLiteral: Table = { entries: new Uint16Array(1 << 9), bits: 0 };
const fixedDistance: Table = { entries: new Uint16Array(1 << 5), bits: 0 };

/** Fills `table` for the canonical code of `lens[0..n)`; false when the lengths describe no usable code. */
/** The code of symbols 0..n-1 whose lengths are lens[from..from+n) (an offset, not a view per block). */
function buildTable(table: Table, lens: Uint8Array, n: number, from = 0): boolean {
  counts.fill(0);
  let maxLength = 0;
  for (let i = 0; i < n; i++) {
    const l = lens[from + i]!;
    counts[l]!++;
    if (l > maxLength) maxLength = l;
  }
  counts[0] = 0;
  // Over-subscribed lengths would assign one bit pattern to two symbols.
  let left = 1;
  for (let l = 1; l <= MAX_BITS; l++) {
    left = (left << 1) - counts[l]!;
    if (left < 0) return false;
  }
  table.bits = maxLength;
  const size = 1 << maxLength;
  table.entries.fill(0, 0, size);
  let code = 0;
  for (let l = 1; l <= MAX_BITS; l++) {
    code = (code + counts[l - 1]!) << 1;
    nextCode[l] = code;
  }
  for (let symbol = 0; symbol < n; symbol++) {
    const l = lens[from + symbol]!;
    if (l === 0) continue;
    const c = nextCode[l]!++;
    let reversed = 0;
    for (let b = 0; b < l; b++) reversed |= ((c >> b) & 1) << (l - 1 - b);
    const entry = (symbol << 4) | l;
    for (let r = reversed; r < size; r += 1 << l) table.entries[r] = entry;
  }
  return true;
}

(function buildFixedTables() {
  const fixed = new Uint8Array(288);
  fixed.fill(8, 0, 144);
  fixed.fill(9, 144, 256);
  fixed.fill(7, 256, 280);
  fixed.fill(8, 280, 288);
  buildTable(fixedLiteral, fixed, 288);
  buildTable(fixedDistance, new Uint8Array(30).fill(5), 30);
})();

/**
 * Inflates the zlib stream `src` into `out`; returns the bytes written. Throws InflateError on a bad header, corrupt or
 * truncated data, or output that would not fit in `out` (overflow: decoding stops there). The Adler-32 trailer is not
 * checked.
 */
export function inflateZlibInto(src: Uint8Array, out: Uint8Array): number {
  if (src.length < 2) throw new InflateError("truncated zlib header", 0);
  const cmf = src[0]!;
  const flg = src[1]!;
  if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) throw new InflateError("invalid zlib header", 0);
  if (flg & 32) throw new InflateError("zlib preset dictionaries are not supported", 0);
  return inflateRawInto(src, 16, out);
}

/** Raw DEFLATE from bit `startBit` of `src` into `out` (see inflateZlibInto). */
export function inflateRawInto(src: Uint8Array, startBit: number, out: Uint8Array): number {
  const totalBits = src.length * 8;
  const outLength = out.length;
  // `pos` and `o` stay plain locals (no closure captures them, which would move them into a heap context and
  // slow every access of the hot loop).
  let pos = startBit;
  let o = 0;
  let final = 0;
  do {
    if (pos + 3 > totalBits) fail("unexpected end of data", o);
    final = peek(src, pos, 1);
    const type = peek(src, pos + 1, 3);
    pos += 3;
    if (type === 0) {
      const at = (pos + 7) >> 3;
      if (at + 4 > src.length) fail("unexpected end of data", o);
      const length = src[at]! | (src[at + 1]! << 8);
      const complement = src[at + 2]! | (src[at + 3]! << 8);
      if ((length ^ 0xffff) !== complement) fail("invalid stored block length", o);
      const from = at + 4;
      if (from + length > src.length) fail("unexpected end of data", o);
      if (o + length > outLength) {
        out.set(src.subarray(from, from + (outLength - o)), o);
        o = outLength;
        throw new InflateError("output larger than expected", o, true);
      }
      out.set(src.subarray(from, from + length), o);
      o += length;
      pos = (from + length) * 8;
      continue;
    }
    let lit: Table;
    let dist: Table;
    if (type === 1) {
      lit = fixedLiteral;
      dist = fixedDistance;
    } else if (type === 2) {
      if (pos + 14 > totalBits) fail("unexpected end of data", o);
      const literalCount = peek(src, pos, 31) + 257;
      const distanceCount = peek(src, pos + 5, 31) + 1;
      const codeLengthCount = peek(src, pos + 10, 15) + 4;
      pos += 14;
      if (literalCount > 286 || distanceCount > 30) fail("invalid code counts", o);
      codeLengthLengths.fill(0);
      for (let i = 0; i < codeLengthCount; i++, pos += 3) codeLengthLengths[CODE_LENGTH_ORDER[i]!] = peek(src, pos, 7);
      if (!buildTable(codeLengthTable, codeLengthLengths, 19)) fail("invalid code lengths code", o);
      const total = literalCount + distanceCount;
      const clMask = (1 << codeLengthTable.bits) - 1;
      for (let i = 0; i < total; ) {
        if (pos > totalBits) fail("unexpected end of data", o);
        const entry = codeLengthTable.entries[peek(src, pos, clMask)]!;
        if (entry === 0) fail("invalid code lengths", o);
        pos += entry & 15;
        const symbol = entry >> 4;
        if (symbol < 16) lengths[i++] = symbol;
        else {
          let repeat = 0;
          let value = 0;
          if (symbol === 16) {
            if (i === 0) fail("repeat with no previous length", o);
            value = lengths[i - 1]!;
            repeat = 3 + peek(src, pos, 3);
            pos += 2;
          } else if (symbol === 17) {
            repeat = 3 + peek(src, pos, 7);
            pos += 3;
          } else {
            repeat = 11 + peek(src, pos, 127);
            pos += 7;
          }
          if (i + repeat > total) fail("too many code lengths", o);
          lengths.fill(value, i, i + repeat);
          i += repeat;
        }
      }
      if (pos > totalBits) fail("unexpected end of data", o);
      if (lengths[256] === 0) fail("no end-of-block code", o);
      if (!buildTable(literalTable, lengths, literalCount)) fail("invalid literal/length code", o);
      if (!buildTable(distanceTable, lengths, distanceCount, literalCount)) fail("invalid distance code", o);
      lit = literalTable;
      dist = distanceTable;
    } else {
      return fail("invalid block type", o);
    }
    const litEntries = lit.entries;
    const litMask = (1 << lit.bits) - 1;
    const distEntries = dist.entries;
    const distMask = (1 << dist.bits) - 1;
    for (;;) {
      const entry = litEntries[peek(src, pos, litMask)]!;
      if (entry === 0) fail("invalid literal/length code", o);
      pos += entry & 15;
      if (pos > totalBits) fail("unexpected end of data", o);
      const symbol = entry >> 4;
      if (symbol < 256) {
        if (o >= outLength) throw new InflateError("output larger than expected", o, true);
        out[o++] = symbol;
        continue;
      }
      if (symbol === 256) break;
      const li = symbol - 257;
      if (li >= 29) fail("invalid length symbol", o);
      const lengthExtra = LENGTH_EXTRA[li]!;
      const length = LENGTH_BASE[li]! + peek(src, pos, (1 << lengthExtra) - 1);
      pos += lengthExtra;
      const d = distEntries[peek(src, pos, distMask)]!;
      if (d === 0) fail("invalid distance code", o);
      pos += d & 15;
      const di = d >> 4;
      if (di >= 30) fail("invalid distance symbol", o);
      const distanceExtra = DIST_EXTRA[di]!;
      const distance = DIST_BASE[di]! + peek(src, pos, (1 << distanceExtra) - 1);
      pos += distanceExtra;
      if (pos > totalBits) fail("unexpected end of data", o);
      if (distance > o) fail("distance too far back", o);
      if (o + length > outLength) {
        const fits = outLength - o;
        for (let k = 0; k < fits; k++) out[o + k] = out[o + k - distance]!;
        o = outLength;
        throw new InflateError("output larger than expected", o, true);
      }
      // copyWithin only pays for itself on long copies (a builtin call per match costs more than a short loop).
      if (distance >= length && length > 32) out.copyWithin(o, o - distance, o - distance + length);
      else for (let k = 0; k < length; k++) out[o + k] = out[o + k - distance]!;
      o += length;
    }
  } while (!final);
  return o;
}

function fail(why: string, produced: number): never {
  throw new InflateError(why, produced);
}

/** The next bits at `pos` (LSB first), masked; bytes past the end read as 0 (callers check `pos` against the end). */
function peek(src: Uint8Array, pos: number, mask: number): number {
  const at = pos >> 3;
  return ((src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16)) >>> (pos & 7)) & mask;
}
