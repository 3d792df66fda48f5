import { describe, expect, it } from "vitest";
import { readConfig } from "../../../src/composition/config";
import { imageEngineFor } from "../../../src/composition/image-engine";
import type { Env } from "../../../src/platform/env";

const SCHEMES = ["fp32", "int8-dynamic", "int8-weight", "int8-block", "int4-block"] as const;

describe("imageEngineFor", () => {
  it("auto: the engine for int8-dynamic bundles, the only scheme it implements; onnxruntime-web for the others", () => {
    expect(SCHEMES.map((q) => imageEngineFor("auto", q))).toEqual(["ort", "wasm", "ort", "ort", "ort"]);
  });

  it("ort and wasm are kept whatever the scheme (wasm on another scheme fails when the engine opens the bundle)", () => {
    for (const q of SCHEMES) {
      expect(imageEngineFor("ort", q)).toBe("ort");
      expect(imageEngineFor("wasm", q)).toBe("wasm");
    }
  });
});

describe("the ENGINE var", () => {
  const env = (vars: Record<string, string>) => ({ MODEL_NAME: "m", JOBS_DEAD_LETTER_QUEUE: "dlq", ...vars }) as unknown as Env;

  it("is auto when unset", () => {
    expect(readConfig(env({})).engine).toBe("auto");
  });

  it("takes auto, ort and wasm, and names the three values when given another", () => {
    for (const e of ["auto", "ort", "wasm"]) expect(readConfig(env({ ENGINE: e })).engine).toBe(e);
    expect(() => readConfig(env({ ENGINE: "onnx" }))).toThrow(/ENGINE \(wrangler.toml \[vars\]\) is "auto", "ort" or "wasm"/);
  });
});
