// Linear layers (x @ W^T + b) as ONNX nodes, in fp32 or one of the int8 schemes.
import type { Tensor } from "../checkpoint/clip-checkpoint";
import { quantizeNBits } from "./block-quant";
import { DataType, bytesOf, type GraphBuilder } from "./graph-builder";

/**
 * fp32: plain MatMul.
 * int8-dynamic: activations quantized per call (DynamicQuantizeLinear) and multiplied by per-output-channel
 *   int8 weights with MatMulInteger; ORT fuses the chain into DynamicQuantizeMatMul.
 * int8-weight: weights stored int8 per output channel and dequantized (DequantizeLinear) before an fp32 MatMul.
 * int8-block / int4-block: MatMulNBits (com.microsoft), weights kept packed in blocks of 32 along the input and
 *   dequantized inside the kernel, so the runtime never holds an fp32 copy.
 */
export type QuantScheme = "fp32" | "int8-dynamic" | "int8-weight" | "int8-block" | "int4-block";

const NBITS_BLOCK = 32;

export interface LinearWeights {
  weight: Tensor; // [out, in]
  bias?: Tensor; // [out]
}

/** Transposes [out, in] to [in, out], optionally scaling every element. */
export function transposeWeight(w: Tensor, scale = 1): Float32Array {
  const [out, inp] = w.shape as [number, number];
  const t = new Float32Array(out * inp);
  for (let o = 0; o < out; o++) {
    const row = o * inp;
    for (let i = 0; i < inp; i++) t[i * out + o] = w.data[row + i]! * scale;
  }
  return t;
}

/** Symmetric per-column int8 quantization of a [rows, cols] matrix: q = round(w / s), s = max|col| / 127. */
export function quantizePerColumn(w: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(w[base + c]!);
      if (a > scales[c]!) scales[c] = a;
    }
  }
  for (let c = 0; c < cols; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1;
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) q[base + c] = Math.round(w[base + c]! / scales[c]!);
  }
  return { q, scales };
}

/** Emits x @ W^T (* scale) + b (* scale) and returns the output name. */
export function linear(g: GraphBuilder, x: string, lw: LinearWeights, name: string, scheme: QuantScheme, scale = 1): string {
  const [out, inp] = lw.weight.shape as [number, number];
  if (scheme === "int8-block" || scheme === "int4-block") {
    const bits = scheme === "int8-block" ? 8 : 4;
    const q = quantizeNBits(lw.weight.data, out, inp, bits, NBITS_BLOCK, scale);
    const inputs = [
      x,
      g.initializer(`${name}.weight_nbits`, DataType.UINT8, [out, q.blocksPerColumn, q.blockBytes], q.packed),
      g.floats(`${name}.weight_scales`, [out * q.blocksPerColumn], q.scales),
    ];
    if (lw.bias) inputs.push("", "", g.floats(`${name}.bias`, [out], scale === 1 ? lw.bias.data : lw.bias.data.map((v) => v * scale)));
    return g.op("MatMulNBits", inputs, { K: inp, N: out, bits, block_size: NBITS_BLOCK }, "com.microsoft");
  }
  const wt = transposeWeight(lw.weight, scale);
  let y: string;
  if (scheme === "fp32") {
    y = g.op("MatMul", [x, g.floats(`${name}.weight_t`, [inp, out], wt)]);
  } else {
    const { q, scales } = quantizePerColumn(wt, inp, out);
    const wq = g.initializer(`${name}.weight_q`, DataType.INT8, [inp, out], bytesOf(q));
    const ws = g.floats(`${name}.weight_scale`, [out], scales);
    if (scheme === "int8-weight") {
      const w = g.op("DequantizeLinear", [wq, ws], { axis: 1 });
      y = g.op("MatMul", [x, w]);
    } else {
      const [xq, xs, xz] = g.node("DynamicQuantizeLinear", [x], {}, 3);
      const acc = g.op("MatMulInteger", [xq!, wq, xz!]);
      const accF = g.op("Cast", [acc], { to: DataType.FLOAT });
      y = g.op("Mul", [accF, g.op("Mul", [xs!, ws])]);
    }
  }
  if (!lw.bias) return y;
  const b = scale === 1 ? lw.bias.data : lw.bias.data.map((v) => v * scale);
  return g.op("Add", [y, g.floats(`${name}.bias`, [out], b)]);
}
