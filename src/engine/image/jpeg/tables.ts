// Parsers of JPEG table segments: DQT (quantization) and DHT (Huffman), T.81 B.2.4.
import { buildHuffmanTable } from "./bit-reader";
import type { HuffmanTable } from "./bit-reader";
import { NATURAL_ORDER } from "./scan";

/** Stores each table of a DQT segment, in natural order, under its id. */
export function parseDqt(body: Uint8Array, into: Map<number, Uint16Array>): void {
  let p = 0;
  while (p < body.length) {
    const pq = body[p]! >> 4;
    const id = body[p++]! & 15;
    const size = pq === 0 ? 1 : 2;
    if (pq > 1 || p + 64 * size > body.length) throw new Error("DQT: bad table");
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      table[NATURAL_ORDER[k]!] = size === 1 ? body[p + k]! : (body[p + 2 * k]! << 8) | body[p + 2 * k + 1]!;
    }
    p += 64 * size;
    into.set(id, table);
  }
}

/** Stores each table of a DHT segment under "dc<id>" / "ac<id>". */
export function parseDht(body: Uint8Array, into: Map<string, HuffmanTable>): void {
  let p = 0;
  while (p < body.length) {
    const tc = body[p]! >> 4;
    const id = body[p++]! & 15;
    if (tc > 1 || p + 16 > body.length) throw new Error("DHT: bad table");
    const counts = body.subarray(p, p + 16);
    p += 16;
    const total = counts.reduce((a, b) => a + b, 0);
    if (p + total > body.length) throw new Error("DHT: truncated");
    into.set(`${tc === 0 ? "dc" : "ac"}${id}`, buildHuffmanTable(counts, body.subarray(p, p + total)));
    p += total;
  }
}
