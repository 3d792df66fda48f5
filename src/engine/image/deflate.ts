// zlib (RFC 1950) stream of DEFLATE (RFC 1951), synchronous, into a caller's buffer: LZ77 matches (hash chains) and
// per-block Huffman codes (dynamic, or the fixed ones when smaller). A call allocates no arrays: the hash chains, the
// block's symbols, the code tables and the bit writer's state are module scratch, reused by every call (calls never
// overlap: synchronous). The match search and the symbol writer are module functions with their state in locals (as
// closures over the call's variables they read and wrote those through the closure's context on every byte).
//
// Made for the anomaly map PNG (8-bit grayscale, Sub-filtered smooth rows: mostly small differences and repeats). The
// platform's CompressionStream took several event-loop turns per map, and its stream, writer, promises and Response
// outlived young-generation collections: they waited in the old generation of the JS heap for a full collection.

const WINDOW = 32 * 1024;
const WMASK = WINDOW - 1;
const HASH_BITS = 15;
const HASH_SIZE = 1 << HASH_BITS;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
/** Candidates tried per position: the nearest repeats are nearly always the best for maps. */
const MAX_CHAIN = 8;
/**
 * Matches longer than this do not put their inner positions into the hash chains (zlib's max_insert_length at its
 * fast levels): a long run would otherwise cost a hash insert per byte and crowd the chains with one repeat.
 */
const MAX_INSERT = 16;
/** A match this long ends the search along the chain (zlib's nice_length): longer ones are rare, and costly to find. */
const NICE_MATCH = 32;
/** Symbols per block: each block gets its own codes. */
const BLOCK_SYMBOLS = 1 << 16;

export const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
export const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
export const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
export const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order code-length code lengths are sent in (RFC 1951 3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Length 3..258 -> length code index 0..28. */
export const LENGTH_INDEX = new Uint8Array(MAX_MATCH + 1);
for (let i = 0; i < 29; i++) {
  const end = i === 28 ? MAX_MATCH : LENGTH_BASE[i + 1]! - 1;
  for (let len = LENGTH_BASE[i]!; len <= end; len++) LENGTH_INDEX[len] = i;
}
LENGTH_INDEX[MAX_MATCH] = 28;

/**
 * Distance 1..32768 -> distance code index 0..29, as zlib's d_code: distance - 1 below 256 directly, above it by
 * (distance - 1) >> 7 (codes 16 and up start at multiples of 128 plus one).
 */
export const DIST_INDEX = new Uint8Array(512);
for (let i = 0; i < 30; i++) {
  const end = i === 29 ? WINDOW : DIST_BASE[i + 1]! - 1;
  for (let dist = DIST_BASE[i]!; dist <= end; dist++) {
    const d = dist - 1;
    DIST_INDEX[d < 256 ? d : 256 + (d >> 7)] = i;
  }
}

function distIndex(dist: number): number {
  const d = dist - 1;
  return DIST_INDEX[d < 256 ? d : 256 + (d >> 7)]!;
}

function reverseBits(code: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) r |= ((code >> i) & 1) << (bits - 1 - i);
  return r;
}

/** Canonical codes for `lengths` (RFC 1951 3.2.2), bit-reversed for the LSB-first writer. */
function assignCodes(lengths: Uint8Array, n: number, codes: Uint16Array): void {
  blCount.fill(0);
  for (let i = 0; i < n; i++) blCount[lengths[i]!]!++;
  blCount[0] = 0;
  let code = 0;
  for (let bits = 1; bits <= 15; bits++) {
    code = (code + blCount[bits - 1]!) << 1;
    nextCode[bits] = code;
  }
  for (let i = 0; i < n; i++) {
    const len = lengths[i]!;
    codes[i] = len === 0 ? 0 : reverseBits(nextCode[len]!++, len);
  }
}
const blCount = new Uint16Array(16);
const nextCode = new Uint16Array(16);

// Huffman construction scratch: up to 2 * 286 nodes.
const nodeWeight = new Float64Array(2 * 286);
const nodeParent = new Int32Array(2 * 286);
const nodeActive = new Uint8Array(2 * 286);
const leafSymbol = new Int32Array(286);
const scaled = new Float64Array(286);

/**
 * Code lengths (at most `limit` bits) for the symbols 0..n-1 with `freq` > 0; the others get 0. The code is always
 * complete (one used symbol gets a second, unused one beside it; none used, symbols 0 and 1), as every inflate accepts.
 * When the Huffman tree is deeper than `limit`, the frequencies are halved (rounding up) and the tree rebuilt.
 */
function buildLengths(freq: Uint32Array, n: number, limit: number, lengths: Uint8Array): void {
  lengths.fill(0, 0, n);
  let m = 0;
  for (let s = 0; s < n; s++) {
    if (freq[s]! > 0) {
      leafSymbol[m] = s;
      scaled[m++] = freq[s]!;
    }
  }
  if (m === 0) {
    // No symbol used (a block without matches has no distances): two unused codes of one bit, a complete code.
    lengths[0] = 1;
    lengths[1] = 1;
    return;
  }
  if (m === 1) {
    const s = leafSymbol[0]!;
    lengths[s] = 1;
    lengths[s === 0 ? 1 : 0] = 1;
    return;
  }
  for (;;) {
    for (let i = 0; i < m; i++) {
      nodeWeight[i] = scaled[i]!;
      nodeActive[i] = 1;
      nodeParent[i] = -1;
    }
    let nodes = m;
    for (let merges = 0; merges < m - 1; merges++) {
      let a = -1;
      let b = -1;
      for (let i = 0; i < nodes; i++) {
        if (!nodeActive[i]) continue;
        if (a < 0 || nodeWeight[i]! < nodeWeight[a]!) {
          b = a;
          a = i;
        } else if (b < 0 || nodeWeight[i]! < nodeWeight[b]!) b = i;
      }
      nodeActive[a] = 0;
      nodeActive[b] = 0;
      nodeWeight[nodes] = nodeWeight[a]! + nodeWeight[b]!;
      nodeActive[nodes] = 1;
      nodeParent[nodes] = -1;
      nodeParent[a] = nodes;
      nodeParent[b] = nodes;
      nodes++;
    }
    let deepest = 0;
    for (let i = 0; i < m; i++) {
      let depth = 0;
      for (let j = i; nodeParent[j]! >= 0; j = nodeParent[j]!) depth++;
      lengths[leafSymbol[i]!] = depth;
      if (depth > deepest) deepest = depth;
    }
    if (deepest <= limit) return;
    for (let i = 0; i < m; i++) scaled[i] = Math.ceil(scaled[i]! / 2);
  }
}

// Per-block scratch.
const head = new Int32Array(HASH_SIZE);
const prev = new Int32Array(WINDOW);
/** A block's symbols: a literal byte (< 256), or length << 16 | distance. */
const symbols = new Int32Array(BLOCK_SYMBOLS);
const litFreq = new Uint32Array(286);
const distFreq = new Uint32Array(30);
const clFreq = new Uint32Array(19);
const litLen = new Uint8Array(286);
const distLen = new Uint8Array(30);
const clLen = new Uint8Array(19);
const litCode = new Uint16Array(286);
const distCode = new Uint16Array(30);
const clCode = new Uint16Array(19);
/** The run-length coded code lengths of a block's two codes: symbol | extra << 8. */
const clSymbols = new Int32Array(286 + 30);
const lengthSeq = new Uint8Array(286 + 30);
// The fixed codes (RFC 1951 3.2.6).
const fixedLitLen = Uint8Array.from({ length: 288 }, (_, v) => (v < 144 ? 8 : v < 256 ? 9 : v < 280 ? 7 : 8));
const fixedLitCode = new Uint16Array(288);
assignCodes(fixedLitLen, 288, fixedLitCode);
const fixedDistLen = new Uint8Array(30).fill(5);
const fixedDistCode = new Uint16Array(30);
assignCodes(fixedDistLen, 30, fixedDistCode);

/**
 * Adler-32 of `data` in int32 arithmetic: the sums are reduced every 2000 bytes, which keeps b below 2^31
 * (65521 + 2000 * (65521 + 2000 * 255) < 2^31), where zlib's 5552 relies on unsigned 32-bit overflow-free sums.
 */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  const n = data.length;
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 2000);
    for (; i + 4 <= end; i += 4) {
      a = (a + data[i]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 1]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 2]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 3]!) | 0;
      b = (b + a) | 0;
    }
    for (; i < end; i++) {
      a = (a + data[i]!) | 0;
      b = (b + a) | 0;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Bytes a zlib stream of `n` input bytes can take at most, for sizing the output. */
export function zlibBound(n: number): number {
  // At most 31 bits per 3-byte match or 9 per literal with the fixed codes (< 11 bits a byte), a fixed block's header
  // and end per block, the zlib header and trailer.
  const blocks = Math.max(1, Math.ceil(n / BLOCK_SYMBOLS));
  return 2 + Math.ceil((n * 11) / 8) + blocks * 4 + 4;
}

const EMPTY = new Uint8Array(0);
/** The bit writer (LSB first) of the running zlibCompress call: its output, next byte, and the pending bits (< 8 between calls). */
let sink: Uint8Array = EMPTY;
let sinkAt = 0;
let bitBuf = 0;
let bitCount = 0;

function put(value: number, bits: number): void {
  bitBuf |= value << bitCount;
  bitCount += bits;
  while (bitCount >= 8) {
    sink[sinkAt++] = bitBuf & 0xff;
    bitBuf >>>= 8;
    bitCount -= 8;
  }
}

/** The running zlibCompress call's kernel, when it ran the match search (it writes the symbols too). */
let writer: DeflateMatchKernel | undefined;
const writerBits = { buf: 0, pending: 0 };

/**
 * The block's symbols and its end under the given codes: the writer's state in locals, two bytes written when 16 bits
 * are pending (a code or its extra bits are at most 15, so the pending bits stay below 31), whole bytes at the end.
 */
function writeSymbols(count: number, lit: Uint16Array, litBits: Uint8Array, dist: Uint16Array, distBits: Uint8Array): void {
  if (writer) {
    writerBits.buf = bitBuf;
    writerBits.pending = bitCount;
    sinkAt = writer.deflateWrite(count, lit, litBits, dist, distBits, writerBits, sink, sinkAt);
    bitBuf = writerBits.buf;
    bitCount = writerBits.pending;
    put(lit[256]!, litBits[256]!);
    return;
  }
  const out = sink;
  let o = sinkAt;
  let buf = bitBuf;
  let pending = bitCount;
  for (let i = 0; i < count; i++) {
    const s = symbols[i]!;
    if (s < 256) {
      buf |= lit[s]! << pending;
      pending += litBits[s]!;
    } else {
      const len = s >>> 16;
      const distance = s & 0xffff;
      const li = LENGTH_INDEX[len]!;
      buf |= lit[257 + li]! << pending;
      pending += litBits[257 + li]!;
      const lenExtra = LENGTH_EXTRA[li]!;
      if (lenExtra) {
        if (pending >= 16) {
          out[o++] = buf & 0xff;
          out[o++] = (buf >>> 8) & 0xff;
          buf >>>= 16;
          pending -= 16;
        }
        buf |= (len - LENGTH_BASE[li]!) << pending;
        pending += lenExtra;
      }
      if (pending >= 16) {
        out[o++] = buf & 0xff;
        out[o++] = (buf >>> 8) & 0xff;
        buf >>>= 16;
        pending -= 16;
      }
      const di = distIndex(distance);
      buf |= dist[di]! << pending;
      pending += distBits[di]!;
      const distExtra = DIST_EXTRA[di]!;
      if (distExtra) {
        if (pending >= 16) {
          out[o++] = buf & 0xff;
          out[o++] = (buf >>> 8) & 0xff;
          buf >>>= 16;
          pending -= 16;
        }
        buf |= (distance - DIST_BASE[di]!) << pending;
        pending += distExtra;
      }
    }
    if (pending >= 16) {
      out[o++] = buf & 0xff;
      out[o++] = (buf >>> 8) & 0xff;
      buf >>>= 16;
      pending -= 16;
    }
  }
  while (pending >= 8) {
    out[o++] = buf & 0xff;
    buf >>>= 8;
    pending -= 8;
  }
  sinkAt = o;
  bitBuf = buf;
  bitCount = pending;
  put(lit[256]!, litBits[256]!);
}

/**
 * The match search (matchBlock's symbols and counts, block by block), the symbol writer and the checksum in a kernel.
 * deflateStart begins a stream on `data` (false: declined, matchBlock and adler32 run); deflateBlock continues it from
 * `from`, keeping the block's symbols for deflateWrite and writing its literal/length and distance counts (from zero)
 * into the given arrays.
 */
export interface DeflateMatchKernel {
  deflateStart(data: Uint8Array): boolean;
  deflateBlock(from: number, litFreq: Uint32Array, distFreq: Uint32Array): { next: number; count: number };
  /** adler32 of the started stream's data. */
  deflateAdler(): number;
  /**
   * writeSymbols's loop (without the end-of-block code) for the block deflateBlock last found, under the given codes:
   * continues the pending bits, writes whole bytes into out from `at`, returns the next byte; fewer than 8 bits stay
   * in `bits`.
   */
  deflateWrite(
    count: number,
    lit: Uint16Array,
    litBits: Uint8Array,
    dist: Uint16Array,
    distBits: Uint8Array,
    bits: { buf: number; pending: number },
    out: Uint8Array,
    at: number,
  ): number;
}

/**
 * Compresses `data` into `out` (at least zlibBound(data.length) bytes) as a zlib stream; returns the bytes written.
 * `kernel`: the match search's SIMD kernel (the same bytes as without it).
 */
export function zlibCompress(data: Uint8Array, out: Uint8Array, kernel?: DeflateMatchKernel): number {
  const n = data.length;
  if (out.length < zlibBound(n)) throw new RangeError(`output of ${out.length} bytes is below zlibBound(${n})`);
  let o = 0;
  out[o++] = 0x78; // deflate, 32 KiB window
  out[o++] = 0x01; // (0x78 << 8 | 0x01) % 31 === 0
  sink = out;
  sinkAt = o;
  bitBuf = 0;
  bitCount = 0;
  /** Bits of the block's symbols under the given code lengths (the end-of-block symbol included). */
  const bodyBits = (lit: Uint8Array, dist: Uint8Array) => {
    let bits = 0;
    for (let s = 0; s < 286; s++) if (litFreq[s]) bits += litFreq[s]! * (lit[s]! + (s > 256 ? LENGTH_EXTRA[s - 257]! : 0));
    for (let d = 0; d < 30; d++) if (distFreq[d]) bits += distFreq[d]! * (dist[d]! + DIST_EXTRA[d]!);
    return bits;
  };
  const flushBlock = (count: number, final: boolean) => {
    litFreq[256] = 1;
    buildLengths(litFreq, 286, 15, litLen);
    buildLengths(distFreq, 30, 15, distLen);
    let numLit = 286;
    while (numLit > 257 && litLen[numLit - 1] === 0) numLit--;
    let numDist = 30;
    while (numDist > 1 && distLen[numDist - 1] === 0) numDist--;
    // The two codes' lengths in one sequence, run-length coded (16: repeat the previous 3-6 times, 17/18: 3-10/11-138 zeros).
    lengthSeq.set(litLen.subarray(0, numLit), 0);
    lengthSeq.set(distLen.subarray(0, numDist), numLit);
    const total = numLit + numDist;
    clFreq.fill(0);
    let cls = 0;
    for (let i = 0; i < total; ) {
      const v = lengthSeq[i]!;
      let run = 1;
      while (i + run < total && lengthSeq[i + run] === v) run++;
      i += run;
      if (v === 0) {
        while (run >= 11) {
          const k = Math.min(run, 138);
          clSymbols[cls++] = 18 | ((k - 11) << 8);
          clFreq[18]!++;
          run -= k;
        }
        if (run >= 3) {
          clSymbols[cls++] = 17 | ((run - 3) << 8);
          clFreq[17]!++;
          run = 0;
        }
      } else {
        clSymbols[cls++] = v;
        clFreq[v]!++;
        run--;
        while (run >= 3) {
          const k = Math.min(run, 6);
          clSymbols[cls++] = 16 | ((k - 3) << 8);
          clFreq[16]!++;
          run -= k;
        }
      }
      for (; run > 0; run--) {
        clSymbols[cls++] = v;
        clFreq[v]!++;
      }
    }
    buildLengths(clFreq, 19, 7, clLen);
    let numCl = 19;
    while (numCl > 4 && clLen[CL_ORDER[numCl - 1]!] === 0) numCl--;
    let headerBits = 5 + 5 + 4 + numCl * 3;
    for (let i = 0; i < cls; i++) {
      const s = clSymbols[i]! & 0xff;
      headerBits += clLen[s]! + (s === 16 ? 2 : s === 17 ? 3 : s === 18 ? 7 : 0);
    }
    const dynamicBits = headerBits + bodyBits(litLen, distLen);
    const fixedBits = bodyBits(fixedLitLen, fixedDistLen);
    put(final ? 1 : 0, 1);
    if (fixedBits <= dynamicBits) {
      put(1, 2); // BTYPE 01: fixed codes
      writeSymbols(count, fixedLitCode, fixedLitLen, fixedDistCode, fixedDistLen);
    } else {
      put(2, 2); // BTYPE 10: dynamic codes
      assignCodes(litLen, numLit, litCode);
      assignCodes(distLen, numDist, distCode);
      assignCodes(clLen, 19, clCode);
      put(numLit - 257, 5);
      put(numDist - 1, 5);
      put(numCl - 4, 4);
      for (let i = 0; i < numCl; i++) put(clLen[CL_ORDER[i]!]!, 3);
      for (let i = 0; i < cls; i++) {
        const s = clSymbols[i]! & 0xff;
        put(clCode[s]!, clLen[s]!);
        if (s >= 16) put(clSymbols[i]! >>> 8, s === 16 ? 2 : s === 17 ? 3 : 7);
      }
      writeSymbols(count, litCode, litLen, distCode, distLen);
    }
    litFreq.fill(0);
    distFreq.fill(0);
  };

  litFreq.fill(0);
  distFreq.fill(0);
  let p = 0;
  const matcher = kernel?.deflateStart(data) ? kernel : undefined;
  if (!matcher) head.fill(0); // the kernel keeps its own hash heads
  writer = matcher;
  for (;;) {
    if (matcher) {
      const block = matcher.deflateBlock(p, litFreq, distFreq);
      p = block.next;
      blockCount = block.count;
    } else p = matchBlock(data, n, p);
    const full = blockCount === BLOCK_SYMBOLS;
    flushBlock(blockCount, p >= n);
    if (!full || p >= n) break;
  }
  o = sinkAt;
  if (bitCount > 0) out[o++] = bitBuf & 0xff;
  sink = EMPTY;
  writer = undefined;
  const adler = matcher ? matcher.deflateAdler() : adler32(data);
  const a = adler & 0xffff;
  const b = adler >>> 16;
  out[o++] = b >>> 8;
  out[o++] = b & 0xff;
  out[o++] = a >>> 8;
  out[o++] = a & 0xff;
  return o;
}

/** Symbols written by the last matchBlock. */
let blockCount = 0;

/**
 * LZ77 from position `from` until the block holds BLOCK_SYMBOLS symbols or the data ends: fills `symbols`, `litFreq` and
 * `distFreq`, sets blockCount; returns the next position.
 */
function matchBlock(data: Uint8Array, n: number, from: number): number {
  let p = from;
  let count = 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  while (p < n) {
    let bestLen = 0;
    let bestDist = 0;
    if (p + MIN_MATCH <= n) {
      const h = Math.imul((data[p]! << 16) | (data[p + 1]! << 8) | data[p + 2]!, 0x9e3779b1) >>> (32 - HASH_BITS);
      let candidate = head[h]! - 1;
      const limit = Math.min(MAX_MATCH, n - p);
      for (let chain = 0; candidate >= 0 && p - candidate <= WINDOW && chain < MAX_CHAIN; chain++) {
        if (data[candidate + bestLen] === data[p + bestLen]) {
          let len = 0;
          // four bytes per step while they agree, then byte by byte (the same length)
          while (len + 4 <= limit && view.getUint32(candidate + len) === view.getUint32(p + len)) len += 4;
          while (len < limit && data[candidate + len] === data[p + len]) len++;
          if (len > bestLen) {
            bestLen = len;
            bestDist = p - candidate;
            if (len === limit || len >= NICE_MATCH) break;
          }
        }
        const before = prev[candidate & WMASK]! - 1;
        if (before >= candidate) break; // that slot now holds a newer position
        candidate = before;
      }
      prev[p & WMASK] = head[h]!;
      head[h] = p + 1;
    }
    if (bestLen >= MIN_MATCH) {
      symbols[count++] = (bestLen << 16) | bestDist;
      litFreq[257 + LENGTH_INDEX[bestLen]!]!++;
      distFreq[distIndex(bestDist)]!++;
      const end = p + bestLen;
      if (bestLen <= MAX_INSERT) {
        const last = Math.min(end, n - MIN_MATCH + 1);
        for (p++; p < last; p++) {
          const h = Math.imul((data[p]! << 16) | (data[p + 1]! << 8) | data[p + 2]!, 0x9e3779b1) >>> (32 - HASH_BITS);
          prev[p & WMASK] = head[h]!;
          head[h] = p + 1;
        }
      }
      p = end;
    } else {
      symbols[count++] = data[p]!;
      litFreq[data[p]!]!++;
      p++;
    }
    if (count === BLOCK_SYMBOLS) break;
  }
  blockCount = count;
  return p;
}
