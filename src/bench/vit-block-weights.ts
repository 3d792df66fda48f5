// A CLIP residual block's fp32 weights quantized exactly as the compiler's int8-dynamic scheme does, for the engine.
import type { Activation, ResidualBlock, Tensor } from "../compiler/checkpoint/clip-checkpoint";
import { quantizePerColumn, transposeWeight } from "../compiler/onnx/linear";
import type { QuantizedLinear, VitBlockWeights } from "../engine/wasm/vit-block";

function quantized(weight: Tensor, bias: Tensor, scale = 1): QuantizedLinear {
  const [outputs, inputs] = weight.shape as [number, number];
  const { q, scales } = quantizePerColumn(transposeWeight(weight, scale), inputs, outputs);
  return { weights: q, inputs, outputs, scales, bias: scale === 1 ? bias.data : bias.data.map((v) => v * scale) };
}

/** q, k, v quantized one by one (per output channel, q scaled by 1/sqrt(head size)), then laid side by side. */
function fusedQkv(block: ResidualBlock, width: number, headDim: number): QuantizedLinear {
  const part = (i: number, scale: number) =>
    quantized(
      { shape: [width, width], data: block.inProjWeight.data.subarray(i * width * width, (i + 1) * width * width) },
      { shape: [width], data: block.inProjBias.data.subarray(i * width, (i + 1) * width) },
      scale,
    );
  const parts = [part(0, 1 / Math.sqrt(headDim)), part(1, 1), part(2, 1)];
  const N = 3 * width;
  const weights = new Int8Array(width * N);
  for (let k = 0; k < width; k++) for (const [i, p] of parts.entries()) weights.set(p.weights.subarray(k * width, (k + 1) * width), k * N + i * width);
  const cat = (f: (p: QuantizedLinear) => Float32Array) => Float32Array.from(parts.flatMap((p) => Array.from(f(p))));
  return { weights, inputs: width, outputs: N, scales: cat((p) => p.scales), bias: cat((p) => p.bias) };
}

export function vitBlockWeights(block: ResidualBlock, width: number, heads: number, eps: number, activation: Activation): VitBlockWeights {
  return {
    width,
    heads,
    eps,
    activation,
    ln1: { weight: block.ln1.weight.data, bias: block.ln1.bias.data },
    ln2: { weight: block.ln2.weight.data, bias: block.ln2.bias.data },
    qkv: fusedQkv(block, width, width / heads),
    outProj: quantized(block.outProjWeight, block.outProjBias),
    fc: quantized(block.fcWeight, block.fcBias),
    proj: quantized(block.projWeight, block.projBias),
  };
}
