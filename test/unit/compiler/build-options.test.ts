import { describe, expect, it } from "vitest";
import { parseQuantOption, parseTextFeatureObjects, QUANT_OPTIONS } from "../../../src/compiler/build-options";
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
});
