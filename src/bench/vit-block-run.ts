// One ViT residual block: onnxruntime-web running the compiler's int8-dynamic block graph vs the engine's block.
import type { Activation, ResidualBlock } from "../compiler/checkpoint/clip-checkpoint";
import { DataType, GraphBuilder } from "../compiler/onnx/graph-builder";
import { residualBlock } from "../compiler/onnx/transformer-blocks";
import { OnnxModel } from "../engine/runtime/onnx-session";
import type { GemmKind } from "../engine/wasm/int8-gemm";
import { VitBlock } from "../engine/wasm/vit-block";
import { loadInt8Gemm } from "./int8-gemm-node";
import { vitBlockWeights } from "./vit-block-weights";

export interface BlockConfig {
  tokens: number;
  width: number;
  heads: number;
  mlp: number;
  activation: Activation;
}

export const VIT_B16_BLOCK: BlockConfig = { tokens: 197, width: 768, heads: 12, mlp: 3072, activation: "quick_gelu" };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** A random block with weights of CLIP-like magnitude, and an input residual stream. */
export function randomBlock(c: BlockConfig, seed: number): { block: ResidualBlock; x: Float32Array } {
  const r = rng(seed);
  const t = (shape: number[], scale: number, offset = 0) => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + r() * scale),
  });
  const W = c.width;
  const block: ResidualBlock = {
    ln1: { weight: t([W], 0.2, 1), bias: t([W], 0.1) },
    inProjWeight: t([3 * W, W], 2 / Math.sqrt(W)),
    inProjBias: t([3 * W], 0.1),
    outProjWeight: t([W, W], 2 / Math.sqrt(W)),
    outProjBias: t([W], 0.1),
    ln2: { weight: t([W], 0.2, 1), bias: t([W], 0.1) },
    fcWeight: t([c.mlp, W], 2 / Math.sqrt(W)),
    fcBias: t([c.mlp], 0.1),
    projWeight: t([W, c.mlp], 2 / Math.sqrt(c.mlp)),
    projBias: t([W], 0.1),
  };
  return { block, x: t([c.tokens, W], 2).data };
}

/** onnxruntime-web with the compiler's own block graph (int8-dynamic), and the engine's block on the same weights. */
export async function blockRunners(c: BlockConfig, seed: number, kinds: GemmKind[]) {
  const { block, x } = randomBlock(c, seed);
  const eps = 1e-5;
  const g = new GraphBuilder("one_block");
  const input = g.input("x", DataType.FLOAT, [1, c.tokens, c.width]);
  const y = residualBlock(g, input, block, "block", { width: c.width, heads: c.heads, eps, activation: c.activation, quant: "int8-dynamic" });
  g.node("Identity", [y], {}, ["y"]);
  g.output("y", DataType.FLOAT, [1, c.tokens, c.width]);
  const model = await OnnxModel.load(g.build());
  const ort = async () => (await model.run({ x: { type: "float32", data: x, dims: [1, c.tokens, c.width] } })).y!.data;
  const weights = vitBlockWeights(block, c.width, c.heads, eps, c.activation);
  const engines = await Promise.all(
    kinds.map(async (k) => {
      const b = VitBlock.create(await loadInt8Gemm(k), weights, c.tokens);
      return { kind: k, run: () => b.run(x, c.tokens) };
    }),
  );
  return { ort, engines, release: () => model.release() };
}
