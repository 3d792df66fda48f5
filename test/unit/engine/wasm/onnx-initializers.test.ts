// The engine's ONNX initializer reader against graphs written by the compiler's GraphBuilder.
import { describe, expect, it } from "vitest";
import { DataType, GraphBuilder, bytesOf } from "../../../../src/compiler/onnx/graph-builder";
import { InitializerSet, readInitializers } from "../../../../src/engine/wasm/onnx-initializers";
import { seededUniform } from "../../../helpers/tiny-bundle";

function graph(external: boolean) {
  const g = new GraphBuilder("g", external ? { location: "w.bin", minBytes: 64 } : undefined);
  const big = seededUniform(300, 1);
  const q = Int8Array.from({ length: 1000 }, (_, i) => (i % 255) - 127);
  g.floats("small", [2, 2], Float32Array.of(1, -2, 3.5, 4));
  g.floats("big", [3, 100], big);
  g.initializer("q", DataType.INT8, [10, 100], bytesOf(q));
  const x = g.input("x", DataType.FLOAT, [2, 2]);
  g.node("Add", [x, "small"], {}, ["y"]);
  g.output("y", DataType.FLOAT, [2, 2]);
  return { model: g.build(), data: g.buildExternalData(), big, q };
}

describe("readInitializers", () => {
  it.each([false, true])("reads names, dims and values (external data %s)", (external) => {
    const { model, data, big, q } = graph(external);
    const set = new InitializerSet(readInitializers(model, external ? data : undefined));
    expect(set.dims("big")).toEqual([3, 100]);
    expect(set.floats("small", 4)).toEqual(Float32Array.of(1, -2, 3.5, 4));
    expect(set.floats("big")).toEqual(big);
    expect(set.int8s("q", 1000)).toEqual(q);
  });

  it("refuses a missing name, a wrong type or count, and external data that is absent or too short", () => {
    const { model, data } = graph(true);
    const set = new InitializerSet(readInitializers(model, data));
    expect(() => set.floats("nope")).toThrow(/no initializer nope/);
    expect(() => set.floats("q")).toThrow(/data type 3/);
    expect(() => set.floats("big", 299)).toThrow(/300 values, expected 299/);
    expect(() => readInitializers(model)).toThrow(/w\.bin, which was not given/);
    expect(() => readInitializers(model, data.subarray(0, 100))).toThrow(/outside its external data/);
  });
});
