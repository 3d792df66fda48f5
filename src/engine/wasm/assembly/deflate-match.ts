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
