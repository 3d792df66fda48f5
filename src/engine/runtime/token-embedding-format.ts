// The bundle's token embedding table file (text towers in stages): its row layout, shared by compiler and runtime.

/**
 * "float32": a row is `width` little-endian float32 values. "int8-row-scale": a row is `width` int8 values followed by
 * the row's float32 scale (little-endian); its embedding is float32(q) x scale, as the whole text graph computes it.
 */
export type TokenEmbeddingEncoding = "float32" | "int8-row-scale";

export function tokenEmbeddingRowBytes(encoding: TokenEmbeddingEncoding, width: number): number {
  return encoding === "float32" ? width * 4 : width + 4;
}

/** Decodes row `row` of `bytes` (which starts at a row boundary) into `out` at `outOffset`. */
export function decodeTokenEmbeddingRow(
  encoding: TokenEmbeddingEncoding,
  width: number,
  bytes: Uint8Array,
  row: number,
  out: Float32Array,
  outOffset: number,
): void {
  const stride = tokenEmbeddingRowBytes(encoding, width);
  const view = new DataView(bytes.buffer, bytes.byteOffset + row * stride, stride);
  if (encoding === "float32") {
    for (let c = 0; c < width; c++) out[outOffset + c] = view.getFloat32(c * 4, true);
    return;
  }
  const scale = view.getFloat32(width, true);
  // float32(q) x scale rounded once to float32: the product of two float32 values is exact in float64, so this is ORT's Mul
  for (let c = 0; c < width; c++) out[outOffset + c] = view.getInt8(c) * scale;
}

/** Range reads per gather at most (text-embedding-gather.ts): nearby rows are read together beyond this. */
export const TOKEN_EMBEDDING_MAX_READS = 24;
/** Range reads in flight at once. */
export const TOKEN_EMBEDDING_READ_CONCURRENCY = 2;
/** Distinct token ids the compiler's cost model allows for in one text stage 0 call (a prompt set has a few hundred). */
export const TOKEN_EMBEDDING_PLANNED_ROWS = 4096;

/**
 * What a gather holds in JS at most, for the cost model: the decoded rows of TOKEN_EMBEDDING_PLANNED_ROWS ids and the
 * read buffers in flight (a read spans at most about rows / MAX_READS rows when the ids are spread over the table).
 */
export function tokenEmbeddingGatherBytes(encoding: TokenEmbeddingEncoding, rows: number, width: number): number {
  const perRead = (Math.ceil(rows / TOKEN_EMBEDDING_MAX_READS) + 1) * tokenEmbeddingRowBytes(encoding, width);
  return TOKEN_EMBEDDING_PLANNED_ROWS * width * 4 + TOKEN_EMBEDDING_READ_CONCURRENCY * perRead;
}
