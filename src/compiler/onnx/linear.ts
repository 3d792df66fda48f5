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
  return linearLayer(g, lw, name, scheme, scale)(x);
}

/**
 * The layer's initializers, added once; the returned function adds the nodes that apply it to an input, so one set
 * of weights can serve several inputs (the row chunks of an MLP).
 */
export function linearLayer(g: GraphBuilder, lw: LinearWeights, name: string, scheme: QuantScheme, scale = 1): (x: string) => string {
  const [out, inp] = lw.weight.shape as [number, number];
  // initializers in the order earlier builds wrote them (weights, then bias): same bytes, same modelHash
  const biasInitializer = () => (lw.bias ? g.floats(`${name}.bias`, [out], scale === 1 ? lw.bias.data : lw.bias.data.map((v) => v * scale)) : undefined);
  if (scheme === "int8-block" || scheme === "int4-block") {
    const bits = scheme === "int8-block" ? 8 : 4;
    const q = quantizeNBits(lw.weight.data, out, inp, bits, NBITS_BLOCK, scale);
    const packed = g.initializer(`${name}.weight_nbits`, DataType.UINT8, [out, q.blocksPerColumn, q.blockBytes], q.packed);
    const scales = g.floats(`${name}.weight_scales`, [out * q.blocksPerColumn], q.scales);
    const bias = biasInitializer();
    return (x) => g.op("MatMulNBits", [x, packed, scales, ...(bias ? ["", "", bias] : [])], { K: inp, N: out, bits, block_size: NBITS_BLOCK }, "com.microsoft");
  }
  const wt = transposeWeight(lw.weight, scale);
  if (scheme === "fp32") {
    const w = g.floats(`${name}.weight_t`, [inp, out], wt);
    const withBias = biasAdder(g, biasInitializer());
    return (x) => withBias(g.op("MatMul", [x, w]));
  }
  const { q, scales } = quantizePerColumn(wt, inp, out);
  const wq = g.initializer(`${name}.weight_q`, DataType.INT8, [inp, out], bytesOf(q));
  const ws = g.floats(`${name}.weight_scale`, [out], scales);
  const withBias = biasAdder(g, biasInitializer());
  if (scheme === "int8-weight") return (x) => withBias(g.op("MatMul", [x, g.op("DequantizeLinear", [wq, ws], { axis: 1 })]));
  return (x) => {
    const [xq, xs, xz] = g.node("DynamicQuantizeLinear", [x], {}, 3);
    const acc = g.op("MatMulInteger", [xq!, wq, xz!]);
    const accF = g.op("Cast", [acc], { to: DataType.FLOAT });
    return withBias(g.op("Mul", [accF, g.op("Mul", [xs!, ws])]));
  };
}

function biasAdder(g: GraphBuilder, bias: string | undefined): (y: string) => string {
  return (y) => (bias ? g.op("Add", [y, bias]) : y);
}
