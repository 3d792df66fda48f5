// One image-tower stage at a time on the engine's kernels: the chain of stages against the engine's whole tower (the
// same kernels in the same order: identical arrays) and against onnxruntime-web's stage graphs.
import { describe, expect, it } from "vitest";
import { loadWasmImageEncoder, loadWasmStageGraph } from "../../../../src/bench/int8-gemm-node";
import { randomAdapters, randomCheckpoint } from "../../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle, compileStagedBundle, type CompiledStagedBundle } from "../../../../src/compiler/compile-bundle";
import { imageGraphNames } from "../../../../src/engine/runtime/graph-names";
import { memoryBundleReader } from "../../../../src/engine/runtime/memory-bundle-reader";
import { ModelBundle } from "../../../../src/engine/runtime/model-bundle";
import { runImageStage } from "../../../../src/engine/staging/run-stage";
import { ortStageGraph, type StageGraph } from "../../../../src/engine/staging/stage-graph";
import type { GemmKind } from "../../../../src/engine/wasm/int8-gemm";
import { openInMemory, relativeError, seededUniform, tinyArch } from "../../../helpers/tiny-bundle";

const arch = tinyArch({ activation: "quick_gelu", width: 32, heads: 2, layers: 4, patchSize: 8, imageSize: 32, embedDim: 16 });
const ckpt = randomCheckpoint(arch, 13);
const options = {
  name: "tiny",
  vocabulary: new Uint8Array([0x1f, 0x8b]),
  layers: [1, 3],
  fewShotLayers: [2, 4],
  quant: "int8-dynamic" as const,
  adapters: randomAdapters({ count: 2, width: 32, embedDim: 16, seed: 3 }),
};
const pixels = seededUniform(3 * 32 * 32, 9, -2, 2);

async function openStaged(): Promise<ModelBundle> {
  const compiled = (await compileStagedBundle(ckpt, { ...options, stages: 3 })) as CompiledStagedBundle;
  return ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
}

/** Every named output of every stage, chaining the residual stream from one stage to the next. */
async function chain(bundle: ModelBundle, graphs: StageGraph[]): Promise<Map<string, Float32Array>> {
  const all = new Map<string, Float32Array>();
  let input = pixels;
  for (const [i, stage] of bundle.stages!.entries()) {
    const out = await graphs[i]!.run(input, stage.outputs);
    for (const name of stage.outputs) all.set(name, out[name]!);
    if (i < bundle.stages!.length - 1) input = out[imageGraphNames.residual(stage.blocks[1])]!;
  }
  return all;
}

describe("image-tower stages on the engine's kernels", () => {
  it.each(["simd", "relaxed"] as GemmKind[])("%s: the chain of 3 stages gives the engine's whole-tower arrays bit for bit", async (kind) => {
    const whole = await (await loadWasmImageEncoder(await openInMemory(await compileBundle(ckpt, options)), kind)).encode(pixels);
    const staged = await openStaged();
    expect(staged.stages).toHaveLength(3);
    const graphs = await Promise.all([0, 1, 2].map((i) => loadWasmStageGraph(staged, i, kind)));
    expect(graphs.every((g) => g.encoder.kind === kind)).toBe(true);
    const out = await chain(staged, graphs);
    expect(out.get(imageGraphNames.features)).toEqual(whole.imageFeatures);
    for (const l of [1, 2, 3, 4]) expect(out.get(imageGraphNames.tokens(l))).toEqual(whole.tokens.get(l));
    for (const l of [1, 3]) expect(out.get(imageGraphNames.projected(l))).toEqual(whole.projected.get(l));
  });

  it("SIMD128 stages agree with onnxruntime-web's stage graphs, and the stage runner takes either", async () => {
    const staged = await openStaged();
    const engine = await Promise.all([0, 1, 2].map((i) => loadWasmStageGraph(staged, i, "simd")));
    const ort = [0, 1, 2].map((i) => ortStageGraph(staged, i));
    const a = await chain(staged, engine);
    const b = await chain(staged, ort);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, expected] of b) expect(relativeError(a.get(name)!, expected), name).toBeLessThan(2e-6);

    // The runner on stage 1 with the engine: its residual is the engine graph's own.
    const textFeatures = seededUniform(2 * 16, 4);
    const noBanks = async () => new Map();
    const input = a.get(imageGraphNames.residual(staged.stages![0]!.blocks[1]))!;
    const reply = await runImageStage(staged, 1, { input, textFeatures }, noBanks, engine[1]);
    const direct = await engine[1]!.run(input, [imageGraphNames.residual(staged.stages![1]!.blocks[1])]);
    expect(reply.residual).toEqual(direct[imageGraphNames.residual(staged.stages![1]!.blocks[1])]);
    expect(reply.zeroShotDifferences.size).toBe([1, 3].filter((l) => l > staged.stages![1]!.blocks[0] && l <= staged.stages![1]!.blocks[1]).length);
  });
});
