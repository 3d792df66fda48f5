import { describe, expect, it } from "vitest";
import { loadInt8Gemm } from "../../../../src/bench/int8-gemm-node";
import { DataType, GraphBuilder } from "../../../../src/compiler/onnx/graph-builder";
import { linear, quantizePerColumn, transposeWeight } from "../../../../src/compiler/onnx/linear";
import { OnnxModel } from "../../../../src/engine/runtime/onnx-session";

describe("SIMD128 int8 GEMM against onnxruntime-web", () => {
  it.each([
    [37, 129, 45],
    [20, 768, 64],
  ])("equals the compiler's int8-dynamic linear layer run by onnxruntime-web bit for bit (M=%i K=%i N=%i)", async (M, K, N) => {
    let s = M * K + N;
    const r = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 - 0.5;
    };
    const weight = { shape: [N, K], data: Float32Array.from({ length: N * K }, () => r() * 0.1) };
    const bias = { shape: [N], data: Float32Array.from({ length: N }, () => r() * 0.1) };
    const x = Float32Array.from({ length: M * K }, () => r() * 4);
    const g = new GraphBuilder("one_linear");
    g.node("Identity", [linear(g, g.input("x", DataType.FLOAT, [1, M, K]), { weight, bias }, "layer", "int8-dynamic")], {}, ["y"]);
    g.output("y", DataType.FLOAT, [1, M, N]);
    const model = await OnnxModel.load(g.build());
    const ort = (await model.run({ x: { type: "float32", data: x, dims: [1, M, K] } })).y!.data;
    await model.release();
    const gemm = await loadInt8Gemm("simd");
    const { q, scales } = quantizePerColumn(transposeWeight(weight), K, N);
    const y = gemm.linear(x, M, gemm.packLinear(q, K, N, scales, bias.data));
    expect(y).toEqual(ort);
  });
});
