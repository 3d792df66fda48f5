// Entropy-coded-segment bit reader and Huffman tables (ITU T.81 Annex C/F, libjpeg jdhuff.c).

export interface HuffmanTable {
  /** next 16 bits -> (code length << 8) | symbol; 0 for an invalid code */
  readonly lookup: Uint32Array;
}

/** Builds the canonical code of a DHT table (T.81 C.2) as a 16-bit lookup. */
export function buildHuffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const lookup = new Uint32Array(1 << 16);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < counts[len - 1]!; i++) {
      if (k >= symbols.length) throw new Error("DHT: more codes than symbols");
      if (code >= 1 << len) throw new Error("DHT: bad code lengths");
      const start = code << (16 - len);
      lookup.fill((len << 8) | symbols[k++]!, start, start + (1 << (16 - len)));
      code++;
    }
    code <<= 1;
  }
  return { lookup };
}

/**
 * Reads bits MSB first, un-stuffing FF 00. At a marker or the end of data it supplies zero bits,
 * as libjpeg's fill_bit_buffer does after its "premature end" warning; `exhausted` records that
 * the data itself ran out (a truncated file), `atMarker` that a marker was reached.
 */
export class BitReader {
  private buf = 0;
  private count = 0;
  /** Zero bits appended after a marker or the end of data (since the last restart). */
  private padBits = 0;
  private starvedBefore = false;
  exhausted = false;
  atMarker = false;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (!this.atMarker) {
        if (this.pos >= this.data.length) {
          this.exhausted = true;
          this.atMarker = true;
        } else if (this.data[this.pos] === 0xff) {
          const next = this.data[this.pos + 1];
          if (next === 0x00) {
            byte = 0xff;
            this.pos += 2;
          } else {
            this.atMarker = true;
            if (next === undefined) this.exhausted = true;
          }
        } else {
          byte = this.data[this.pos++]!;
        }
      }
      if (this.atMarker) this.padBits += 8;
      this.buf = ((this.buf << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  /**
   * Whether decoding has consumed any of the zero padding: the entropy-coded data ran out (hit a marker or the end)
   * before the scan was complete. libjpeg warns and goes on ("premature end of data segment"); we treat it as a
   * truncated file, as PIL does for a file that ends early.
   */
  get starved(): boolean {
    return this.starvedBefore || this.padBits > this.count;
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.buf >>> this.count) & ((1 << n) - 1);
  }

  bit(): number {
    return this.bits(1);
  }

  /** One Huffman symbol; an invalid code reads as 0 (libjpeg: "corrupt data" warning, value 0). */
  decode(table: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const entry = table.lookup[(this.buf >>> (this.count - 16)) & 0xffff]!;
    const len = entry >> 8;
    if (len === 0) {
      this.count -= 16;
      return 0;
    }
    this.count -= len;
    return entry & 0xff;
  }

  /** receive(s) + extend (T.81 F.2.2.1): an s-bit signed magnitude. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Drops buffered bits and moves past the next RSTn marker (libjpeg process_restart). */
  restart(): void {
    this.starvedBefore = this.starved;
    this.padBits = 0;
    this.buf = 0;
    this.count = 0;
    this.atMarker = false;
    while (this.pos + 1 < this.data.length) {
      if (this.data[this.pos] === 0xff) {
        const m = this.data[this.pos + 1]!;
        if (m >= 0xd0 && m <= 0xd7) {
          this.pos += 2;
          return;
        }
        if (m !== 0x00 && m !== 0xff) return; // another marker: leave it for the caller
      }
      this.pos++;
    }
  }
}
