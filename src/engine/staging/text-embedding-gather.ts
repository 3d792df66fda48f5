// Text stage 0's token embedding lookup outside ORT: only the rows the sentences use, read from the bundle's table
// file in a bounded number of range reads, decoded to the float32 values the whole graph's Gather (+ dequantization) gives.
import {
  decodeTokenEmbeddingRow,
  TOKEN_EMBEDDING_MAX_READS,
  TOKEN_EMBEDDING_READ_CONCURRENCY,
  type TokenEmbeddingEncoding,
  tokenEmbeddingRowBytes,
} from "../runtime/token-embedding-format";

export interface RowRange {
  first: number;
  count: number;
}

/** Gaps of at most this many rows are read through rather than split (a request costs more than a few rows). */
const READ_THROUGH_ROWS = 8;

/**
 * Row ranges covering the sorted distinct `ids` in at most `maxReads` reads, reading through the smallest gaps first
 * (so the fewest unused rows are read) and through every gap of READ_THROUGH_ROWS rows or fewer.
 */
export function planRowReads(ids: readonly number[], maxReads = TOKEN_EMBEDDING_MAX_READS): RowRange[] {
  if (ids.length === 0) return [];
  if (!(maxReads >= 1)) throw new RangeError(`maxReads must be at least 1, got ${maxReads}`);
  const gaps = ids.slice(1).map((id, i) => ({ at: i + 1, rows: id - ids[i]! - 1 }));
  const splits = new Set(
    [...gaps]
      .sort((a, b) => b.rows - a.rows || a.at - b.at)
      .slice(0, maxReads - 1)
      .filter((g) => g.rows > READ_THROUGH_ROWS)
      .map((g) => g.at),
  );
  const ranges: RowRange[] = [];
  let start = ids[0]!;
  for (let i = 1; i <= ids.length; i++) {
    if (i === ids.length || splits.has(i)) {
      ranges.push({ first: start, count: ids[i - 1]! - start + 1 });
      if (i < ids.length) start = ids[i]!;
    }
  }
  return ranges;
}

export interface TokenEmbeddingTableInfo {
  encoding: TokenEmbeddingEncoding;
  rows: number;
  width: number;
}

/** Reads `count` rows from row `first` of the table file: exactly count x the row size bytes. */
export type ReadTableRows = (first: number, count: number) => Promise<Uint8Array>;

/** The float32 embedding row of every distinct id in `ids`. */
export async function gatherTokenEmbeddings(read: ReadTableRows, table: TokenEmbeddingTableInfo, ids: Iterable<number>): Promise<Map<number, Float32Array>> {
  const distinct = [...new Set(ids)].sort((a, b) => a - b);
  for (const id of [distinct[0], distinct.at(-1)]) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < table.rows)) {
      throw new RangeError(`token id ${id} is outside the token embedding table's ${table.rows} rows`);
    }
  }
  const stride = tokenEmbeddingRowBytes(table.encoding, table.width);
  const rows = new Map<number, Float32Array>();
  const ranges = planRowReads(distinct);
  let next = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const range = ranges[next++]!;
      const bytes = await read(range.first, range.count);
      if (bytes.length !== range.count * stride) {
        throw new Error(`token embedding rows [${range.first}, ${range.first + range.count}): read ${bytes.length} bytes, expected ${range.count * stride}`);
      }
      for (const id of distinct) {
        if (id < range.first || id >= range.first + range.count) continue;
        const row = new Float32Array(table.width);
        decodeTokenEmbeddingRow(table.encoding, table.width, bytes, id - range.first, row, 0);
        rows.set(id, row);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TOKEN_EMBEDDING_READ_CONCURRENCY, ranges.length) }, worker));
  return rows;
}

/** The gathered rows of token ids [count, seq] as the [count, seq, width] float32 input of text stage 0. */
export function embeddingRowsOf(tokens: BigInt64Array, rows: ReadonlyMap<number, Float32Array>, width: number): Float32Array {
  const out = new Float32Array(tokens.length * width);
  for (let i = 0; i < tokens.length; i++) {
    const row = rows.get(Number(tokens[i]!));
    if (!row) throw new Error(`token id ${tokens[i]} was not gathered`);
    out.set(row, i * width);
  }
  return out;
}
