// Decodes one scan's entropy-coded data into quantized DCT coefficients (libjpeg jdhuff.c, jdphuff.c).
import { BitReader } from "./bit-reader";
import type { HuffmanTable } from "./bit-reader";

/** Zigzag index -> natural index, padded with 63 like libjpeg's jpeg_natural_order (corrupt k > 63). */
export const NATURAL_ORDER = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

export interface ScanComponent {
  /** horizontal / vertical sampling factors */
  readonly h: number;
  readonly v: number;
  /** blocks that carry image data (non-interleaved scans cover exactly these) */
  readonly blocksWide: number;
  readonly blocksHigh: number;
  /** allocated blocks per row (whole MCUs) */
  readonly blocksPerRow: number;
  /** 64 coefficients per block, natural order, block-row-major */
  readonly coeffs: Int16Array;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
}

export interface ScanParams {
  readonly components: readonly ScanComponent[];
  readonly mcusPerLine: number;
  readonly mcusPerColumn: number;
  readonly progressive: boolean;
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
  readonly restartInterval: number;
}

type BlockDecoder = (r: BitReader, c: ScanComponent, ci: number, at: number) => void;

/** Decodes the scan starting at `pos`; returns the reader (its pos is at the closing marker). */
export function decodeScan(data: Uint8Array, pos: number, p: ScanParams): BitReader {
  const reader = new BitReader(data, pos);
  const preds = new Int32Array(p.components.length);
  let eobrun = 0;
  const { ss, se, ah, al } = p;

  const baseline: BlockDecoder = (r, c, ci, at) => {
    const z = c.coeffs;
    const t = r.decode(c.dcTable!);
    preds[ci] += r.receiveExtend(t);
    z[at] = preds[ci]!;
    for (let k = 1; k < 64; k++) {
      const rs = r.decode(c.acTable!);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run !== 15) break;
        k += 15;
        continue;
      }
      k += run;
      z[at + NATURAL_ORDER[k]!] = r.receiveExtend(s);
    }
  };
  const dcFirst: BlockDecoder = (r, c, ci, at) => {
    const t = r.decode(c.dcTable!);
    preds[ci] += r.receiveExtend(t);
    c.coeffs[at] = preds[ci]! * (1 << al);
  };
  const dcRefine: BlockDecoder = (r, c, _ci, at) => {
    if (r.bit()) c.coeffs[at] |= 1 << al;
  };
  const acFirst: BlockDecoder = (r, c, _ci, at) => {
    if (eobrun > 0) {
      eobrun--;
      return;
    }
    const z = c.coeffs;
    for (let k = ss; k <= se; k++) {
      const rs = r.decode(c.acTable!);
      const s = rs & 15;
      const run = rs >> 4;
      if (s !== 0) {
        k += run;
        z[at + NATURAL_ORDER[k]!] = r.receiveExtend(s) * (1 << al);
      } else if (run === 15) {
        k += 15;
      } else {
        eobrun = (1 << run) - 1 + r.bits(run);
        break;
      }
    }
  };
  const acRefine: BlockDecoder = (r, c, _ci, at) => {
    const z = c.coeffs;
    const p1 = 1 << al;
    const m1 = -1 << al;
    const correct = (i: number) => {
      if (r.bit() && (z[i]! & p1) === 0) z[i] = z[i]! + (z[i]! >= 0 ? p1 : m1);
    };
    let k = ss;
    if (eobrun === 0) {
      for (; k <= se; k++) {
        const rs = r.decode(c.acTable!);
        let s = rs & 15;
        let run = rs >> 4;
        if (s !== 0) {
          s = r.bit() ? p1 : m1;
        } else if (run !== 15) {
          eobrun = (1 << run) + r.bits(run);
          break;
        }
        // Skip `run` zero coefficients, refining the nonzero ones passed on the way.
        do {
          const i = at + NATURAL_ORDER[k]!;
          if (z[i] !== 0) correct(i);
          else if (--run < 0) break;
          k++;
        } while (k <= se);
        if (s !== 0) z[at + NATURAL_ORDER[k]!] = s;
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const i = at + NATURAL_ORDER[k]!;
        if (z[i] !== 0) correct(i);
      }
      eobrun--;
    }
  };

  const decodeBlock: BlockDecoder = !p.progressive ? baseline : ss === 0 ? (ah === 0 ? dcFirst : dcRefine) : ah === 0 ? acFirst : acRefine;

  const single = p.components.length === 1;
  const total = single ? p.components[0]!.blocksWide * p.components[0]!.blocksHigh : p.mcusPerLine * p.mcusPerColumn;
  for (let mcu = 0; mcu < total; mcu++) {
    // Out of data: the rest would be decoded from zero padding; stop, the caller reports the file as truncated.
    if (reader.starved) break;
    if (p.restartInterval > 0 && mcu > 0 && mcu % p.restartInterval === 0) {
      reader.restart();
      preds.fill(0);
      eobrun = 0;
    }
    if (single) {
      // Non-interleaved: one block per MCU, over the component's own block grid.
      const c = p.components[0]!;
      const row = Math.floor(mcu / c.blocksWide);
      const col = mcu % c.blocksWide;
      decodeBlock(reader, c, 0, (row * c.blocksPerRow + col) * 64);
      continue;
    }
    const mcuRow = Math.floor(mcu / p.mcusPerLine);
    const mcuCol = mcu % p.mcusPerLine;
    p.components.forEach((c, ci) => {
      for (let by = 0; by < c.v; by++) {
        for (let bx = 0; bx < c.h; bx++) {
          const row = mcuRow * c.v + by;
          const col = mcuCol * c.h + bx;
          decodeBlock(reader, c, ci, (row * c.blocksPerRow + col) * 64);
        }
      }
    });
  }
  return reader;
}
