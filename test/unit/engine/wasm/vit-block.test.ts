import { describe, expect, it } from "vitest";
import { blockRunners } from "../../../../src/bench/vit-block-run";
import { relativeError } from "../../../helpers/tiny-bundle";

describe("engine ViT block against onnxruntime-web running the compiler's int8 block graph", () => {
  it.each([["quick_gelu", 17, 4] as const, ["gelu", 50, 2] as const])("%s, %i tokens, %i heads of 16", async (activation, tokens, heads) => {
    const r = await blockRunners({ tokens, width: 16 * heads, heads, mlp: 64 * heads, activation }, 3, ["simd", "relaxed"]);
    const ort = await r.ort();
    await r.release();
    const errors = Object.fromEntries(r.engines.map((e) => [e.kind, relativeError(e.run(), ort)]));
    // SIMD128 quantizes like ORT, only fp32 rounding differs (measured ~8e-8); relaxed has 7-bit activations (~0.01)
    expect(errors.simd).toBeLessThan(1e-5);
    expect(errors.relaxed).toBeLessThan(3e-2);
  });
});
