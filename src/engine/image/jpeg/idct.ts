// libjpeg-turbo's accurate integer inverse DCT (jidctint.c jpeg_idct_islow), 8-bit samples.
//
// libjpeg's default (JDCT_ISLOW) and what PIL decodes with. Same fixed-point constants, rounding
// (DESCALE) and two passes (columns into a workspace scaled by 2^PASS1_BITS, then rows).
// Out-of-range results saturate like libjpeg-turbo's SIMD versions (the C table would wrap only
// for values no valid image produces).

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

const ws = new Float64Array(64);
const TWO_CONST = 1 << CONST_BITS;

/** Arithmetic right shift without int32 wrap-around (libjpeg's JLONG is 64-bit). */
const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/**
 * IDCT of the 64 coefficients at coeffs[at..] (natural order) dequantized with `quant` (natural
 * order); writes 8x8 samples to out[outAt + row * stride + col].
 */
export function idctIslow(coeffs: Int16Array, at: number, quant: Uint16Array, out: Uint8Array, outAt: number, stride: number): void {
  // Pass 1: columns.
  for (let c = 0; c < 8; c++) {
    const i = at + c;
    if (
      coeffs[i + 8] === 0 &&
      coeffs[i + 16] === 0 &&
      coeffs[i + 24] === 0 &&
      coeffs[i + 32] === 0 &&
      coeffs[i + 40] === 0 &&
      coeffs[i + 48] === 0 &&
      coeffs[i + 56] === 0
    ) {
      const dc = coeffs[i]! * quant[c]! * (1 << PASS1_BITS);
      for (let r = 0; r < 8; r++) ws[r * 8 + c] = dc;
      continue;
    }
    let z2 = coeffs[i + 16]! * quant[c + 16]!;
    let z3 = coeffs[i + 48]! * quant[c + 48]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coeffs[i]! * quant[c]!;
    z3 = coeffs[i + 32]! * quant[c + 32]!;
    let tmp0 = (z2 + z3) * TWO_CONST;
    let tmp1 = (z2 - z3) * TWO_CONST;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;

    tmp0 = coeffs[i + 56]! * quant[c + 56]!;
    tmp1 = coeffs[i + 40]! * quant[c + 40]!;
    tmp2 = coeffs[i + 24]! * quant[c + 24]!;
    tmp3 = coeffs[i + 8]! * quant[c + 8]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;

    const sh = CONST_BITS - PASS1_BITS;
    ws[c] = descale(tmp10 + tmp3, sh);
    ws[56 + c] = descale(tmp10 - tmp3, sh);
    ws[8 + c] = descale(tmp11 + tmp2, sh);
    ws[48 + c] = descale(tmp11 - tmp2, sh);
    ws[16 + c] = descale(tmp12 + tmp1, sh);
    ws[40 + c] = descale(tmp12 - tmp1, sh);
    ws[24 + c] = descale(tmp13 + tmp0, sh);
    ws[32 + c] = descale(tmp13 - tmp0, sh);
  }

  // Pass 2: rows. The final shift also removes the factor 8 of the 2-D transform; +128 recentres.
  const sh = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    let z2 = ws[w + 2]!;
    let z3 = ws[w + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w]! + ws[w + 4]!) * TWO_CONST;
    let tmp1 = (ws[w]! - ws[w + 4]!) * TWO_CONST;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;

    tmp0 = ws[w + 7]!;
    tmp1 = ws[w + 5]!;
    tmp2 = ws[w + 3]!;
    tmp3 = ws[w + 1]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;

    const o = outAt + r * stride;
    out[o] = clamp(descale(tmp10 + tmp3, sh) + 128);
    out[o + 7] = clamp(descale(tmp10 - tmp3, sh) + 128);
    out[o + 1] = clamp(descale(tmp11 + tmp2, sh) + 128);
    out[o + 6] = clamp(descale(tmp11 - tmp2, sh) + 128);
    out[o + 2] = clamp(descale(tmp12 + tmp1, sh) + 128);
    out[o + 5] = clamp(descale(tmp12 - tmp1, sh) + 128);
    out[o + 3] = clamp(descale(tmp13 + tmp0, sh) + 128);
    out[o + 4] = clamp(descale(tmp13 - tmp0, sh) + 128);
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}
