// IEEE half and bfloat16 <-> float32 conversion (bit-exact, round-to-nearest-even when narrowing).

let halfTable: Float32Array | undefined;

/** All 65536 half values as float32, built once on first use. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    let v: number;
    if (exp === 0) v = mant * 2 ** -24;
    else if (exp === 0x1f) v = mant ? NaN : Infinity;
    else v = (1 + mant / 1024) * 2 ** (exp - 15);
    t[h] = sign * v;
  }
  halfTable = t;
  return t;
}

export function halfBitsToFloat(h: number): number {
  return halfToFloatTable()[h & 0xffff]!;
}

export function decodeF16(bits: Uint16Array): Float32Array {
  return decodeF16Into(bits, new Float32Array(bits.length));
}

/** Widens the half bits into `out` (at least as long), returning `out`. */
export function decodeF16Into(bits: Uint16Array, out: Float32Array): Float32Array {
  const table = halfToFloatTable();
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

export function decodeBF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export function encodeF16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = floatToHalfBits(data[i]!);
  return out;
}

/** Largest finite half: raw CLIP residual tokens stay far below it, but a clamp keeps an outlier from becoming Inf. */
export const HALF_MAX = 65504;

/** Half bits of `data` clamped to ±HALF_MAX, written at `offset` of `out`: how memory banks are stored. */
export function encodeF16Clamped(data: Float32Array, out: Uint16Array = new Uint16Array(data.length), offset = 0): Uint16Array {
  for (let i = 0; i < data.length; i++) out[offset + i] = floatToHalfBits(Math.max(-HALF_MAX, Math.min(HALF_MAX, data[i]!)));
  return out;
}
