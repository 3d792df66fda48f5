// The image tower run stage by stage (in this process) gives the single graph's encoding and analyses, and a stage
// reads only its own files.
import { beforeAll, describe, expect, it } from "vitest";
import { buildDemoModel, buildStagedDemoModel } from "../../../src/compiler/demo-model";
import type { CompiledStagedBundle } from "../../../src/compiler/compile-bundle";
import { buildMemory, type FewShotMemory } from "../../../src/engine/detector/analyse";
import { type ImageTower, singleGraphTower } from "../../../src/engine/detector/image-tower";
import { memoryBundleReader } from "../../../src/engine/runtime/memory-bundle-reader";
import { BundleError, ModelBundle } from "../../../src/engine/runtime/model-bundle";
import { inProcessStageRunner } from "../../../src/engine/staging/in-process-runner";
import type { BankSource } from "../../../src/engine/staging/run-stage";
import type { FewShotBankKey } from "../../../src/engine/staging/stage-port";
import { stagedTower } from "../../../src/engine/staging/staged-tower";
import { openInMemory, relativeError, seededUniform } from "../../helpers/tiny-bundle";

const BANK: FewShotBankKey = { tenant: "t", referenceSet: "rs_1", modelHash: "h", promptSet: "p" };

function openStaged(staged: CompiledStagedBundle, reads?: string[]): Promise<ModelBundle> {
  const inner = memoryBundleReader(staged.files, staged.manifest);
  return ModelBundle.open({
    read: (path) => {
      reads?.push(path);
      return inner.read(path);
    },
  });
}

function unitTextFeatures(embedDim: number, seed: number): Float32Array {
  const t = seededUniform(2 * embedDim, seed);
  for (const c of [0, 1]) {
    let n = 0;
    for (let i = 0; i < embedDim; i++) n += t[2 * i + c]! ** 2;
    for (let i = 0; i < embedDim; i++) t[2 * i + c]! /= Math.sqrt(n);
  }
  return t;
}

let single: ImageTower;
let singleBundle: ModelBundle;
let memory: FewShotMemory;
const pixels = seededUniform(3 * 224 * 224, 11, -2, 2);
let text: Float32Array;
const banks: BankSource = async (key, layers) => {
  expect(key).toEqual(BANK);
  return new Map(layers.map((l) => [l, memory.get(l)!]));
};

beforeAll(async () => {
  singleBundle = await openInMemory(await buildDemoModel());
  single = singleGraphTower(singleBundle);
  text = unitTextFeatures(singleBundle.manifest.architecture.embedDim, 3);
  const shots = [];
  for (const seed of [21, 22, 23, 24]) shots.push(await single.encode(seededUniform(3 * 224 * 224, seed, -2, 2)));
  memory = buildMemory(singleBundle, shots);
});

describe.each([2, 3])("demo model in %i stages, in process", (k) => {
  let staged: CompiledStagedBundle;
  let tower: ImageTower;
  beforeAll(async () => {
    staged = await buildStagedDemoModel({ stages: k });
    tower = stagedTower(await openStaged(staged), inProcessStageRunner(await openStaged(staged), banks));
  });

  it("encodes exactly as the one image graph", async () => {
    const want = await single.encode(pixels);
    const got = await tower.encode(pixels);
    expect([...got.tokens.keys()].sort()).toEqual([...want.tokens.keys()].sort());
    expect([...got.projected.keys()].sort()).toEqual([...want.projected.keys()].sort());
    for (const [l, t] of want.tokens) expect(relativeError(got.tokens.get(l)!, t), `tokens ${l}`).toBeLessThanOrEqual(1e-6);
    for (const [l, p] of want.projected) expect(relativeError(got.projected.get(l)!, p), `projected ${l}`).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.imageFeatures, want.imageFeatures)).toBeLessThanOrEqual(1e-6);
  });

  it("zero-shot and few-shot from in-stage reductions equal the single graph's", async () => {
    const want = await single.analyse(pixels, text, { memory, bank: BANK });
    const got = await tower.analyse(pixels, text, { memory: new Map(), bank: BANK });
    expect(Math.abs(got.zeroShotScore - want.zeroShotScore)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.zeroShotMap, want.zeroShotMap)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.fewShot!.fewShotMap, want.fewShot!.fewShotMap)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.fewShot!.combinedMap, want.fewShot!.combinedMap)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(got.fewShot!.combinedMax - want.fewShot!.combinedMax)).toBeLessThanOrEqual(1e-6 * want.fewShot!.combinedMax);
  });

  it("sends the residual stream and small per-layer maps across hops, never the tapped tokens", async () => {
    const m = staged.manifest;
    const { width } = m.architecture.vision;
    const patches = m.grid * m.grid;
    const { stages } = await tower.analyse(pixels, text, { memory: new Map(), bank: BANK });
    expect(stages!.hops.map((h) => h.stage)).toEqual(m.stages.map((s) => s.index));
    for (const [i, s] of m.stages.entries()) {
      const inside = (l: number) => l > s.blocks[0] && l <= s.blocks[1];
      const maps = m.layers.zeroShot.filter(inside).length + m.layers.fewShot.filter(inside).length;
      const last = i === m.stages.length - 1;
      const input = i === 0 ? 3 * m.imageSize ** 2 : (1 + patches) * width;
      const output = last ? m.architecture.embedDim : (1 + patches) * width;
      expect(stages!.hops[i]!.sentBytes).toBe(4 * (input + 2 * m.architecture.embedDim));
      expect(stages!.hops[i]!.receivedBytes).toBe(4 * (output + maps * patches));
    }
  });

  it("a stage reads the manifest and only its own graph and weights (and the head for few-shot)", async () => {
    const reads: string[] = [];
    const bundle = await openStaged(staged, reads);
    const runner = inProcessStageRunner(bundle, banks);
    const residual = (await inProcessStageRunner(await openStaged(staged), banks).run(0, { input: pixels })).residual!;
    await runner.run(1, { input: residual, textFeatures: text, fewShotBank: BANK });
    expect(reads.sort()).toEqual(["few-shot-head.onnx", "image-stage1.onnx", "image-stage1.weights", "manifest.json"]);
    await expect(bundle.session("image")).rejects.toMatchObject({ code: "bundle_staged" });
    await expect(bundle.session("image")).rejects.toBeInstanceOf(BundleError);
  });

  it("a stage refuses an input of the wrong size", async () => {
    const runner = inProcessStageRunner(await openStaged(staged), banks);
    await expect(runner.run(1, { input: pixels })).rejects.toThrow(/stage 1 takes \[1, 50, 64\]/);
  });
});
