// Test fixture: writes tiny grayscale JPEGs whose 8x8 blocks are flat, so decoded pixels are known.
//
// Quantization is all ones and only DC coefficients are coded, so a block with DC = 8 * (v - 128) + 1
// decodes to exactly v (islow IDCT: floor((dc + 4) / 8) + 128); the +1 gives refinement scans a 1 bit.

export interface GrayJpegOptions {
  /** EXIF Orientation written in an APP1 segment */
  orientation?: number;
  /** DRI restart interval in MCUs */
  restartInterval?: number;
  /** progressive: DC first scan with Al = 1, DC refinement, then an EOB-only AC scan */
  progressive?: boolean;
}

class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.n = 0;
  }
  /** pads with 1 bits to a byte boundary */
  align(): void {
    while (this.n !== 0) this.write(1, 1);
  }
}

const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];

function category(v: number): number {
  let a = Math.abs(v);
  let c = 0;
  while (a > 0) {
    c++;
    a >>= 1;
  }
  return c;
}

function writeDiff(w: BitWriter, diff: number): void {
  const c = category(diff);
  w.write(c, 4); // DC table: symbols 0..11, all 4-bit codes, code == symbol
  if (c > 0) w.write(diff >= 0 ? diff : diff + (1 << c) - 1, c);
}

function exifSegment(orientation: number): number[] {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  return seg(0xe1, [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff]);
}

/** blocks[row][col] = flat value of that 8x8 block; image size = 8 * cols x 8 * rows. */
export function grayJpeg(blocks: number[][], opts: GrayJpegOptions = {}): Uint8Array {
  const rows = blocks.length;
  const cols = blocks[0]!.length;
  const dcs = blocks.flat().map((v) => 8 * (v - 128) + 1);
  const h = rows * 8;
  const w = cols * 8;
  const out: number[] = [0xff, 0xd8];
  if (opts.orientation) out.push(...exifSegment(opts.orientation));
  out.push(...seg(0xdb, [0, ...Array(64).fill(1)]));
  out.push(...seg(opts.progressive ? 0xc2 : 0xc0, [8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0]));
  out.push(...seg(0xc4, [0x00, 0, 0, 0, 12, ...Array(12).fill(0), ...Array.from({ length: 12 }, (_, i) => i)]));
  out.push(...seg(0xc4, [0x10, 1, ...Array(15).fill(0), 0x00])); // AC: only EOB, code "0"
  if (opts.restartInterval) out.push(...seg(0xdd, [opts.restartInterval >> 8, opts.restartInterval & 255]));

  const scan = (ss: number, se: number, ahal: number, block: (w: BitWriter, i: number, pred: number) => number) => {
    out.push(...seg(0xda, [1, 1, 0x00, ss, se, ahal]));
    const bw = new BitWriter();
    let pred = 0;
    let rst = 0;
    dcs.forEach((_, i) => {
      if (opts.restartInterval && i > 0 && i % opts.restartInterval === 0) {
        bw.align();
        bw.bytes.push(0xff, 0xd0 + (rst++ % 8));
        pred = 0;
      }
      pred = block(bw, i, pred);
    });
    bw.align();
    out.push(...bw.bytes);
  };

  if (!opts.progressive) {
    scan(0, 63, 0, (bw, i, pred) => {
      writeDiff(bw, dcs[i]! - pred);
      bw.write(0, 1); // EOB
      return dcs[i]!;
    });
  } else {
    // DC first at Al = 1 (arithmetic shift), then the dropped bit as refinement.
    scan(0, 0, 0x01, (bw, i, pred) => {
      const v = dcs[i]! >> 1;
      writeDiff(bw, v - pred);
      return v;
    });
    scan(0, 0, 0x10, (bw, i, pred) => {
      bw.write(dcs[i]! & 1, 1);
      return pred;
    });
    scan(1, 63, 0x00, (bw, _i, pred) => {
      bw.write(0, 1); // EOB, run of 1 block
      return pred;
    });
  }
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
