// APRIL-GAN adapter parsing: key layout, prefixes, counts and errors.
import { describe, expect, it } from "vitest";
import { adapterTensors, parseAdapters } from "../../../src/compiler/checkpoint/adapter";
import { randomAdapters } from "../../../src/compiler/checkpoint/random-checkpoint";
import { parseSafetensors, serializeSafetensors } from "../../../src/compiler/checkpoint/safetensors";
import { expectCheckpointError } from "./checkpoint-fixtures";

const adapters = randomAdapters({ count: 3, width: 32, embedDim: 24, seed: 5 });
const tensors = adapterTensors(adapters);

describe("adapters", () => {
  it("round-trips fc.{i}.weight / fc.{i}.bias through safetensors, in order", () => {
    expect(Object.keys(tensors).sort()).toEqual(["fc.0.bias", "fc.0.weight", "fc.1.bias", "fc.1.weight", "fc.2.bias", "fc.2.weight"]);
    const back = parseAdapters(parseSafetensors(serializeSafetensors(tensors)), { width: 32, embedDim: 24 });
    expect(back).toEqual(adapters);
    expect(parseAdapters(tensors, { count: 3, width: 32, embedDim: 24 }).weights[2]!.data).toBe(adapters.weights[2]!.data);
  });

  it("accepts a common key prefix", () => {
    const prefixed = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [`trainable_linearlayer.${k}`, t]));
    expect(parseAdapters(prefixed, { width: 32, embedDim: 24 })).toEqual(adapters);
  });

  it("names a missing adapter when a count is asked for", () => {
    expectCheckpointError(() => parseAdapters(tensors, { count: 4, width: 32, embedDim: 24 }), "missing_tensor", ["fc.3.weight"]);
    const { "fc.1.bias": _gone, ...rest } = tensors;
    expectCheckpointError(() => parseAdapters(rest, { width: 32, embedDim: 24 }), "missing_tensor", ["fc.1.bias", "[24]"]);
  });

  it("names an adapter of the wrong shape", () => {
    expectCheckpointError(() => parseAdapters(tensors, { width: 24, embedDim: 32 }), "shape_mismatch", ["fc.0.weight", "[24, 32]", "[32, 24]"]);
  });

  it("rejects more adapters than asked for and files without adapters", () => {
    expectCheckpointError(() => parseAdapters(tensors, { count: 2, width: 32, embedDim: 24 }), "unexpected_tensor", ["fc.2."]);
    expectCheckpointError(() => parseAdapters({ w: tensors["fc.0.bias"]! }, { width: 32, embedDim: 24 }), "missing_tensor", ["fc.{i}.weight"]);
  });
});
