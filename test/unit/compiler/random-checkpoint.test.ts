// Random checkpoints: determinism, CLIP-like statistics, preset shapes.
import { describe, expect, it } from "vitest";
import { ARCH_PRESETS, archOf } from "../../../src/compiler/checkpoint/clip-arch";
import { parameterCount } from "../../../src/compiler/checkpoint/open-clip-layout";
import { randomAdapters, randomCheckpoint, resolveArch } from "../../../src/compiler/checkpoint/random-checkpoint";
import { TEST_ARCH, expectCheckpointError } from "./checkpoint-fixtures";

function stats(data: Float32Array): { mean: number; std: number } {
  let m = 0;
  for (const v of data) m += v;
  m /= data.length;
  let s = 0;
  for (const v of data) s += (v - m) ** 2;
  return { mean: m, std: Math.sqrt(s / data.length) };
}

describe("randomCheckpoint", () => {
  it("is deterministic in (arch, seed) and differs across seeds", () => {
    const a = randomCheckpoint(TEST_ARCH, 1);
    const b = randomCheckpoint(TEST_ARCH, 1);
    const c = randomCheckpoint(TEST_ARCH, 2);
    expect(a).toEqual(b);
    expect(a.vision.blocks[0]!.inProjWeight.data).not.toEqual(c.vision.blocks[0]!.inProjWeight.data);
    expect(a.vision.blocks[0]!.inProjWeight.data).not.toEqual(a.vision.blocks[1]!.inProjWeight.data);
  });

  it("changing the vocabulary changes only the token embedding", () => {
    const a = randomCheckpoint(TEST_ARCH, 1);
    const b = randomCheckpoint({ ...TEST_ARCH, text: { ...TEST_ARCH.text, vocabSize: 60 } }, 1);
    expect(b.vision).toEqual(a.vision);
    expect(b.text.blocks).toEqual(a.text.blocks);
    expect(b.text.tokenEmbedding.shape).toEqual([60, 16]);
  });

  it("has CLIP-like statistics: LayerNorm weights near 1, biases small, in_proj std width^-0.5", () => {
    const c = randomCheckpoint(ARCH_PRESETS.tiny, 0);
    const ln = stats(c.vision.blocks[0]!.ln1.weight.data);
    expect(ln.mean).toBeCloseTo(1, 1);
    expect(ln.std).toBeGreaterThan(0.01);
    expect(ln.std).toBeLessThan(0.1);
    expect(Math.abs(stats(c.vision.blocks[0]!.fcBias.data).mean)).toBeLessThan(0.01);
    expect(stats(c.vision.blocks[0]!.inProjWeight.data).std).toBeCloseTo(64 ** -0.5, 2);
    expect(c.source).toEqual({ layout: "random", files: [] });
  });

  it("builds every preset's shapes (counted without allocating the big ones)", () => {
    expect(archOf(randomCheckpoint("tiny"))).toEqual(ARCH_PRESETS.tiny);
    expect(resolveArch("ViT-L-14-336").vision).toEqual({ imageSize: 336, patchSize: 14, width: 1024, layers: 24, heads: 16, mlpWidth: 4096 });
    // ViT-B-32 has the well-known 151.28M parameters (logit_scale excluded).
    expect(parameterCount(resolveArch("ViT-B-32"))).toBe(151_277_312);
    expect(parameterCount(resolveArch("ViT-L-14-336"))).toBe(427_944_193 - 1);
  });

  it("rejects unknown architecture names", () => {
    expectCheckpointError(() => randomCheckpoint("ViT-H-14"), "unknown_arch", ["ViT-H-14", "ViT-B-16"]);
  });
});

describe("randomAdapters", () => {
  it("makes count adapters of [embedDim, width] and [embedDim], deterministically", () => {
    const a = randomAdapters({ count: 4, width: 32, embedDim: 24, seed: 3 });
    expect(a.weights.map((w) => w.shape)).toEqual(Array(4).fill([24, 32]));
    expect(a.biases.map((b) => b.shape)).toEqual(Array(4).fill([24]));
    expect(randomAdapters({ count: 4, width: 32, embedDim: 24, seed: 3 })).toEqual(a);
  });
});
