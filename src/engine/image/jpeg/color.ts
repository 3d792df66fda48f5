// Colour conversion of decoded components to RGB, as libjpeg-turbo's jdcolor.c (+ PIL for CMYK).

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number) => Math.floor(x * (1 << SCALEBITS) + 0.5);

// build_ycc_rgb_table
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Float64Array(256);
const CB_G = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = Math.floor((fix(1.402) * x + ONE_HALF) / 65536);
  CB_B[i] = Math.floor((fix(1.772) * x + ONE_HALF) / 65536);
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

const clamp = (v: number) => (v < 0 ? 0 : Math.min(v, 255));

/** ycc_rgb_convert: three full-size planes -> interleaved RGB. */
export function yccToRgb(y: Uint8Array, cb: Uint8Array, cr: Uint8Array): Uint8Array {
  const out = new Uint8Array(y.length * 3);
  for (let i = 0; i < y.length; i++) {
    const Y = y[i]!;
    const B = cb[i]!;
    const R = cr[i]!;
    out[i * 3] = clamp(Y + CR_R[R]!);
    out[i * 3 + 1] = clamp(Y + Math.floor((CB_G[B]! + CR_G[R]!) / 65536));
    out[i * 3 + 2] = clamp(Y + CB_B[B]!);
  }
  return out;
}

/** Three planes already in RGB (Adobe transform 0 or component ids 'R','G','B'). */
export function interleave3(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length * 3);
  for (let i = 0; i < a.length; i++) {
    out[i * 3] = a[i]!;
    out[i * 3 + 1] = b[i]!;
    out[i * 3 + 2] = c[i]!;
  }
  return out;
}

/**
 * Four planes -> RGB: YCCK is first turned into CMYK (ycck_cmyk_convert), then PIL reads CMYK JPEGs
 * inverted ("CMYK;I", Adobe convention, JpegImagePlugin) and converts with Convert.c cmyk2rgb.
 * (PIL resizes in CMYK and converts after; converting first is a small, documented deviation.)
 */
export function cmykToRgb(planes: readonly Uint8Array[], ycck: boolean): Uint8Array {
  const [p0, p1, p2, p3] = planes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const out = new Uint8Array(p0.length * 3);
  for (let i = 0; i < p0.length; i++) {
    let c = p0[i]!;
    let m = p1[i]!;
    let y = p2[i]!;
    if (ycck) {
      const Y = p0[i]!;
      const Cb = p1[i]!;
      const Cr = p2[i]!;
      c = clamp(255 - (Y + CR_R[Cr]!));
      m = clamp(255 - (Y + Math.floor((CB_G[Cb]! + CR_G[Cr]!) / 65536)));
      y = clamp(255 - (Y + CB_B[Cb]!));
    }
    const nk = p3[i]!; // inverted K: 255 - (255 - stored)
    out[i * 3] = clamp(nk - mulDiv255(255 - c, nk));
    out[i * 3 + 1] = clamp(nk - mulDiv255(255 - m, nk));
    out[i * 3 + 2] = clamp(nk - mulDiv255(255 - y, nk));
  }
  return out;
}

function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}
