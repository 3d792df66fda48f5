import { describe, expect, it } from "vitest";
import { DEFAULT_ISOLATE_BUDGET_MB, parseQuantOption, parseStageOptions, parseTextFeatureObjects, QUANT_OPTIONS } from "../../../src/compiler/build-options";
import { DEMO_OBJECT_NAMES } from "../../../src/engine/tokenizer/demo-vocab";

describe("build options shared by model:build and model:fetch", () => {
  it("takes every quantization scheme and names them all when refusing another", () => {
    for (const q of QUANT_OPTIONS) expect(parseQuantOption(q)).toBe(q);
    expect(() => parseQuantOption("int2")).toThrow(/--quant must be one of fp32, int8, int8-dynamic, int8-weight, int8-block, int4-block, got int2/);
  });

  it('reads --text-features as "known" or names, and refuses an empty name', () => {
    expect(parseTextFeatureObjects(undefined)).toBeUndefined();
    expect(parseTextFeatureObjects("known")).toEqual([...DEMO_OBJECT_NAMES]);
    expect(parseTextFeatureObjects("bottle, pcb")).toEqual(["bottle", "pcb"]);
    expect(() => parseTextFeatureObjects("bottle,,pcb")).toThrow(/comma-separated object names/);
  });

  it("plans stages for a 128 MB isolate unless --stages or another budget is given", () => {
    expect(DEFAULT_ISOLATE_BUDGET_MB).toBe(128);
    expect(parseStageOptions(undefined, undefined)).toEqual({ isolateBudgetMb: 128 });
    expect(parseStageOptions(undefined, "96.5")).toEqual({ isolateBudgetMb: 96.5 });
    expect(parseStageOptions("1", undefined)).toEqual({ stages: 1 });
    expect(() => parseStageOptions("2", "128")).toThrow(/not both/);
    expect(() => parseStageOptions("0", undefined)).toThrow(/--stages must be a positive integer, got 0/);
    expect(() => parseStageOptions("1.5", undefined)).toThrow(/--stages must be a positive integer/);
    expect(() => parseStageOptions(undefined, "0")).toThrow(/--isolate-budget-mb must be a positive number of MB, got 0/);
    expect(() => parseStageOptions(undefined, "lots")).toThrow(/got lots/);
  });
});
