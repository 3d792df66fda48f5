// The text tower's token embedding table as a bundle file of its own, for text towers in stages: stage 0 gathers the
// rows its sentences need with range reads instead of holding the whole table (49408 rows) in ORT.
import { type TokenEmbeddingEncoding, tokenEmbeddingRowBytes } from "../engine/runtime/token-embedding-format";
import { quantizePerColumn, type QuantScheme } from "./onnx/linear";

export interface TokenEmbeddingTable {
  encoding: TokenEmbeddingEncoding;
  rows: number;
  width: number;
  bytes: Uint8Array;
}

/**
 * Per-row int8 (q, one float32 scale per row) for quantized schemes, as the whole text graph stores it: the graph's
 * Gather + Cast + Mul and the stage's dequantization of these bytes give the same float32 values.
 */
export function quantizeRows(data: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  // Per-row scales are per-column scales of the transpose; transposing twice keeps one quantizer.
  const transposed = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) transposed[c * rows + r] = data[r * cols + c]!;
  const { q: qt, scales } = quantizePerColumn(transposed, cols, rows);
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] = qt[c * rows + r]!;
  return { q, scales };
}

/** The table in the stored dtype, one row after another (token-embedding-format.ts describes a row). */
export function tokenEmbeddingTable(table: Float32Array, rows: number, width: number, quant: QuantScheme): TokenEmbeddingTable {
  if (quant === "fp32") {
    const bytes = new Uint8Array(rows * width * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < rows * width; i++) view.setFloat32(i * 4, table[i]!, true);
    return { encoding: "float32", rows, width, bytes };
  }
  const { q, scales } = quantizeRows(table, rows, width);
  const stride = tokenEmbeddingRowBytes("int8-row-scale", width);
  const bytes = new Uint8Array(rows * stride);
  const view = new DataView(bytes.buffer);
  for (let r = 0; r < rows; r++) {
    bytes.set(new Uint8Array(q.buffer, r * width, width), r * stride);
    view.setFloat32(r * stride + width, scales[r]!, true);
  }
  return { encoding: "int8-row-scale", rows, width, bytes };
}
