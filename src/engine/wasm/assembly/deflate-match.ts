// The LZ77 match search of the map PNG's compressor (deflate.ts's matchBlock, the same symbols): hash chains over a
// 32 KiB window, at most 8 candidates, matches compared 8 bytes at a time (the first differing byte from the count of
// trailing zero bits of their xor, on little-endian wasm).

// @ts-ignore: decorator
@inline const WINDOW: i32 = 32768;
// @ts-ignore: decorator
@inline const WMASK: i32 = WINDOW - 1;
// @ts-ignore: decorator
@inline const HASH_SHIFT: i32 = 32 - 15;
// @ts-ignore: decorator
@inline const MIN_MATCH: i32 = 3;
// @ts-ignore: decorator
@inline const MAX_MATCH: i32 = 258;
// @ts-ignore: decorator
@inline const MAX_CHAIN: i32 = 8;
// @ts-ignore: decorator
@inline const MAX_INSERT: i32 = 16;
// @ts-ignore: decorator
@inline const NICE_MATCH: i32 = 32;
// @ts-ignore: decorator
@inline const BLOCK_SYMBOLS: i32 = 65536;

let blockCount: i32 = 0;

/** Symbols written by the last deflateMatch. */
export function deflateMatchCount(): i32 {
  return blockCount;
}

// @ts-ignore: decorator
@inline function hashAt(data: usize, p: i32): i32 {
  const at = data + <usize>p;
  return <i32>(<u32>(((<i32>load<u8>(at) << 16) | (<i32>load<u8>(at, 1) << 8) | <i32>load<u8>(at, 2)) * <i32>0x9e3779b1) >>> HASH_SHIFT);
}

/**
 * LZ77 of data[0..n) from position `from` until the block holds BLOCK_SYMBOLS symbols or the data ends: symbols
 * (int32: a literal byte, or length << 16 | distance), litFreq (286) and distFreq (30) uint32 counts of this block
 * (zeroed here). head (int32 [2^15], position + 1, zeroed by the caller before the first block) and prev (int32 [WINDOW])
 * persist between the blocks of one stream. lengthIndex: deflate.ts's LENGTH_INDEX (259 bytes); distIndex: its
 * DIST_INDEX (512 bytes). Comparisons read whole 8-byte words only below p + limit <= n. Returns the next position; deflateMatchCount() the block's symbols.
 */
export function deflateMatch(
  data: usize,
  n: i32,
  from: i32,
  head: usize,
  prev: usize,
  symbols: usize,
  litFreq: usize,
  distFreq: usize,
  lengthIndex: usize,
  distIndex: usize,
): i32 {
  memory.fill(litFreq, 0, 286 * 4);
  memory.fill(distFreq, 0, 30 * 4);
  let p = from;
  let count = 0;
  while (p < n) {
    let bestLen = 0;
    let bestDist = 0;
    if (p + MIN_MATCH <= n) {
      const h = hashAt(data, p);
      const hp = head + (<usize>h << 2);
      let candidate = load<i32>(hp) - 1;
      const limit = min(MAX_MATCH, n - p);
      const at = data + <usize>p;
      for (let chain = 0; candidate >= 0 && p - candidate <= WINDOW && chain < MAX_CHAIN; chain++) {
        const cat = data + <usize>candidate;
        if (load<u8>(cat + <usize>bestLen) == load<u8>(at + <usize>bestLen)) {
          let len = 0;
          let differs = false;
          while (len + 8 <= limit) {
            const x = load<u64>(cat + <usize>len) ^ load<u64>(at + <usize>len);
            if (x != 0) {
              len += <i32>ctz(x) >> 3;
              differs = true;
              break;
            }
            len += 8;
          }
          if (!differs) while (len < limit && load<u8>(cat + <usize>len) == load<u8>(at + <usize>len)) len++;
          if (len > bestLen) {
            bestLen = len;
            bestDist = p - candidate;
            if (len == limit || len >= NICE_MATCH) break;
          }
        }
        const before = load<i32>(prev + (<usize>(candidate & WMASK) << 2)) - 1;
        if (before >= candidate) break; // that slot now holds a newer position
        candidate = before;
      }
      store<i32>(prev + (<usize>(p & WMASK) << 2), load<i32>(hp));
      store<i32>(hp, p + 1);
    }
    if (bestLen >= MIN_MATCH) {
      store<i32>(symbols + (<usize>count << 2), (bestLen << 16) | bestDist);
      count++;
      const li = litFreq + (<usize>(257 + <i32>load<u8>(lengthIndex + <usize>bestLen)) << 2);
      store<u32>(li, load<u32>(li) + 1);
      const d = bestDist - 1;
      const di = distFreq + (<usize>load<u8>(distIndex + <usize>(d < 256 ? d : 256 + (d >> 7))) << 2);
      store<u32>(di, load<u32>(di) + 1);
      const end = p + bestLen;
      if (bestLen <= MAX_INSERT) {
        const last = min(end, n - MIN_MATCH + 1);
        for (p++; p < last; p++) {
          const hp = head + (<usize>hashAt(data, p) << 2);
          store<i32>(prev + (<usize>(p & WMASK) << 2), load<i32>(hp));
          store<i32>(hp, p + 1);
        }
      }
      p = end;
    } else {
      const v = <i32>load<u8>(data + <usize>p);
      store<i32>(symbols + (<usize>count << 2), v);
      count++;
      const li = litFreq + (<usize>v << 2);
      store<u32>(li, load<u32>(li) + 1);
      p++;
    }
    if (count == BLOCK_SYMBOLS) break;
  }
  blockCount = count;
  return p;
}

/** Adler-32 of data[0..n) (RFC 1950), the sums reduced every 5552 bytes as zlib does (no uint32 overflow before). */
export function adler32(data: usize, n: i32): u32 {
  let a: u32 = 1;
  let b: u32 = 0;
  let i = 0;
  while (i < n) {
    const end = min(n, i + 5552);
    for (; i + 4 <= end; i += 4) {
      const at = data + <usize>i;
      a += <u32>load<u8>(at);
      b += a;
      a += <u32>load<u8>(at, 1);
      b += a;
      a += <u32>load<u8>(at, 2);
      b += a;
      a += <u32>load<u8>(at, 3);
      b += a;
    }
    for (; i < end; i++) {
      a += <u32>load<u8>(data + <usize>i);
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

let writerBuf: u32 = 0;
let writerPending: i32 = 0;

/** The bit writer's pending bits (fewer than 8, LSB first) before deflateWrite. */
export function deflateWriterSet(buf: u32, pending: i32): void {
  writerBuf = buf;
  writerPending = pending;
}

export function deflateWriterBuf(): u32 {
  return writerBuf;
}

export function deflateWriterPending(): i32 {
  return writerPending;
}

/**
 * deflate.ts's writeSymbols without the end-of-block code: the block's symbols (as deflateMatch wrote them) under
 * the given codes (litCode u16 / litBits u8 per literal-length symbol, distCode / distBits per distance code), LSB
 * first after the pending bits, two bytes per 16 pending bits (a code or its extra bits are at most 15), whole bytes at
 * the end (fewer than 8 bits stay pending). tables: lengthIndex u8[259] at 0, distIndex u8[512] at 272, lengthBase
 * u16[29] at 784, lengthExtra u8[29] at 848, distBase u16[30] at 880, distExtra u8[30] at 944. Returns the bytes
 * written at out.
 */
export function deflateWrite(symbols: usize, count: i32, litCode: usize, litBits: usize, distCode: usize, distBits: usize, tables: usize, out: usize): i32 {
  let buf = writerBuf;
  let pending = writerPending;
  let o: usize = out;
  for (let i = 0; i < count; i++) {
    const s = load<i32>(symbols + (<usize>i << 2));
    if (s < 256) {
      buf |= <u32>load<u16>(litCode + (<usize>s << 1)) << pending;
      pending += <i32>load<u8>(litBits + <usize>s);
    } else {
      const len = s >>> 16;
      const distance = s & 0xffff;
      const li = <usize>load<u8>(tables + <usize>len);
      const sym = 257 + li;
      buf |= <u32>load<u16>(litCode + (sym << 1)) << pending;
      pending += <i32>load<u8>(litBits + sym);
      const lenExtra = <i32>load<u8>(tables + 848 + li);
      if (lenExtra != 0) {
        if (pending >= 16) {
          store<u16>(o, <u16>buf);
          o += 2;
          buf >>>= 16;
          pending -= 16;
        }
        buf |= <u32>(len - <i32>load<u16>(tables + 784 + (li << 1))) << pending;
        pending += lenExtra;
      }
      if (pending >= 16) {
        store<u16>(o, <u16>buf);
        o += 2;
        buf >>>= 16;
        pending -= 16;
      }
      const d = distance - 1;
      const di = <usize>load<u8>(tables + 272 + <usize>(d < 256 ? d : 256 + (d >> 7)));
      buf |= <u32>load<u16>(distCode + (di << 1)) << pending;
      pending += <i32>load<u8>(distBits + di);
      const distExtra = <i32>load<u8>(tables + 944 + di);
      if (distExtra != 0) {
        if (pending >= 16) {
          store<u16>(o, <u16>buf);
          o += 2;
          buf >>>= 16;
          pending -= 16;
        }
        buf |= <u32>(distance - <i32>load<u16>(tables + 880 + (di << 1))) << pending;
        pending += distExtra;
      }
    }
    if (pending >= 16) {
      store<u16>(o, <u16>buf);
      o += 2;
      buf >>>= 16;
      pending -= 16;
    }
  }
  while (pending >= 8) {
    store<u8>(o, <u8>buf);
    o++;
    buf >>>= 8;
    pending -= 8;
  }
  writerBuf = buf;
  writerPending = pending;
  return <i32>(o - out);
}
