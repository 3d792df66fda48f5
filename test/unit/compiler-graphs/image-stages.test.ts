// Image tower compiled in stages: the chained stage graphs give the whole graph's outputs; planning; default unchanged.
import { describe, expect, it } from "vitest";
import { randomAdapters, randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle, compileStagedBundle, type CompiledStagedBundle, type CompileOptions, type QuantOption } from "../../../src/compiler/compile-bundle";
import { buildDemoModel } from "../../../src/compiler/demo-model";
import { JS_BASE_BYTES, ORT_BASE_BYTES, PLAN_SHARE, planStages, predictedPeakBytes, type StageShape } from "../../../src/compiler/stage-plan";
import { bundleFiles, sha256Hex } from "../../../src/engine/runtime/bundle-manifest";
import { imageGraphNames } from "../../../src/engine/runtime/graph-names";
import { BundleError, ModelBundle } from "../../../src/engine/runtime/model-bundle";
import { OnnxModel, type Outputs } from "../../../src/engine/runtime/onnx-session";
import { relativeError, seededUniform, tinyArch } from "../../helpers/tiny-bundle";

const vocabulary = new Uint8Array([0x1f, 0x8b]);
const ckpt = randomCheckpoint(tinyArch({ layers: 6, activation: "quick_gelu" }), 5);
const ZERO_SHOT = [2, 3, 6];
const options: CompileOptions = {
  name: "tiny",
  vocabulary,
  layers: ZERO_SHOT,
  fewShotLayers: [3, 4, 6],
  adapters: randomAdapters({ count: ZERO_SHOT.length, width: 32, embedDim: 16, seed: 9 }),
};
// Batch of two images, so the residual stream crosses stages with its batch dimension.
const pixels = seededUniform(2 * 3 * 32 * 32, 4, -2, 2);
const pixelFeed = { [imageGraphNames.pixels]: { type: "float32" as const, data: pixels, dims: [2, 3, 32, 32] } };

async function runGraph(graph: Uint8Array, weights: { path: string; data: Uint8Array }, feeds: Parameters<OnnxModel["run"]>[0]): Promise<Outputs> {
  const model = await OnnxModel.load(graph, {}, weights);
  try {
    return await model.run(feeds);
  } finally {
    await model.release();
  }
}

async function runStages(staged: CompiledStagedBundle): Promise<Outputs> {
  const all: Outputs = {};
  let feeds: Parameters<OnnxModel["run"]>[0] = pixelFeed;
  for (const s of staged.manifest.stages) {
    expect(Object.keys(feeds)).toEqual(s.inputs);
    const out = await runGraph(staged.files[s.graph.path]!, { path: s.weights.path, data: staged.files[s.weights.path]! }, feeds);
    expect(Object.keys(out).sort()).toEqual([...s.outputs].sort());
    Object.assign(all, out);
    const next = imageGraphNames.residual(s.blocks[1]);
    if (out[next]) feeds = { [next]: { type: "float32", data: out[next].data, dims: out[next].dims } };
  }
  return all;
}

function expectStaged(b: Awaited<ReturnType<typeof compileStagedBundle>>): CompiledStagedBundle {
  if (!("stages" in b.manifest)) throw new Error("expected a staged bundle");
  return b as CompiledStagedBundle;
}

describe.each<[QuantOption, string]>([
  ["fp32", "adapter"],
  ["int8", "adapter"],
  ["fp32", "clip-projection"],
])("image tower in stages, %s, %s", (quant, projection) => {
  const base = projection === "adapter" ? options : { ...options, adapters: undefined };
  let whole: Promise<Outputs> | undefined;
  const wholeOutputs = async () => {
    const b = await compileBundle(ckpt, { ...base, quant });
    expect(b.manifest.projection).toBe(projection);
    return runGraph(b.files["image.onnx"]!, { path: "image.weights", data: b.files["image.weights"]! }, pixelFeed);
  };

  it.each([2, 3])("K = %i stages chained give the one-graph outputs", async (k) => {
    whole ??= wholeOutputs();
    const want = await whole;
    const staged = expectStaged(await compileStagedBundle(ckpt, { ...base, quant, stages: k }));
    const m = staged.manifest;
    expect(m.stages.map((s) => s.blocks)).toEqual(
      k === 2
        ? [
            [0, 3],
            [3, 6],
          ]
        : [
            [0, 2],
            [2, 4],
            [4, 6],
          ],
    );
    expect(m.stages.map((s) => s.index)).toEqual([...Array(k).keys()]);
    expect("image" in m.files || "imageWeights" in m.files).toBe(false);
    const got = await runStages(staged);
    const outputs = Object.keys(want).sort();
    expect(outputs).toContain(imageGraphNames.features);
    expect(
      Object.keys(got)
        .filter((n) => !n.startsWith("residual_block"))
        .sort(),
    ).toEqual(outputs);
    for (const name of outputs) {
      expect(got[name]!.dims, name).toEqual(want[name]!.dims);
      expect(relativeError(got[name]!.data, want[name]!.data), name).toBeLessThan(1e-5);
    }
    // Residual streams are [batch, 1 + G², W].
    expect(got[imageGraphNames.residual(m.stages[0]!.blocks[1])]!.dims).toEqual([2, 17, 32]);
  });
});

describe("staged bundle manifest", () => {
  it("lists and hashes every stage file; the model hash depends on the split", async () => {
    const two = expectStaged(await compileStagedBundle(ckpt, { ...options, stages: 2 }));
    const three = expectStaged(await compileStagedBundle(ckpt, { ...options, stages: 3 }));
    const one = await compileBundle(ckpt, options);
    for (const s of three.manifest.stages) {
      for (const f of [s.graph, s.weights]) {
        expect(f.sha256).toBe(await sha256Hex(three.files[f.path]!));
        expect(f.bytes).toBe(three.files[f.path]!.length);
      }
      // at least the fixed baselines (JS heap + ORT's wasm), in MiB
      expect(s.predictedPeakMb).toBeGreaterThan((JS_BASE_BYTES + ORT_BASE_BYTES) / 2 ** 20);
    }
    const paths = bundleFiles(three.manifest).map((f) => f.path);
    expect(paths.sort()).toEqual(Object.keys(three.files).sort());
    expect(paths).toContain("image-stage2.weights");
    expect(new Set([one.manifest.modelHash, two.manifest.modelHash, three.manifest.modelHash]).size).toBe(3);
    // The text tower and head stay single graphs, byte for byte.
    for (const f of ["text.onnx", "text.weights", "few-shot-head.onnx"]) expect(three.files[f]).toEqual(one.files[f]);
  });

  it("the runtime opens a staged bundle: no image graph, a session per stage", async () => {
    const staged = await compileStagedBundle(ckpt, { ...options, stages: 2 });
    const files: Record<string, Uint8Array> = { ...staged.files, "manifest.json": new TextEncoder().encode(JSON.stringify(staged.manifest)) };
    const bundle = await ModelBundle.open({ read: async (path) => files[path]! });
    expect(bundle.stages?.map((s) => s.blocks)).toEqual([
      [0, 3],
      [3, 6],
    ]);
    await expect(bundle.session("image")).rejects.toBeInstanceOf(BundleError);
    await expect(bundle.session("image")).rejects.toMatchObject({ code: "bundle_staged", message: expect.stringContaining("run stage by stage") });
    expect((await bundle.stageSession(1)).inputNames).toEqual([imageGraphNames.residual(3)]);
  });

  it("the runtime refuses stages that do not cover the tower in order", async () => {
    const staged = expectStaged(await compileStagedBundle(ckpt, { ...options, stages: 2 }));
    const manifest = { ...staged.manifest, stages: [staged.manifest.stages[1], staged.manifest.stages[0]] };
    const files: Record<string, Uint8Array> = { ...staged.files, "manifest.json": new TextEncoder().encode(JSON.stringify(manifest)) };
    await expect(ModelBundle.open({ read: async (path) => files[path]! })).rejects.toMatchObject({ code: "bundle_invalid" });
  });
});

describe("stage planning from the isolate budget", () => {
  // ViT-B-16 at 224, int8: 12 blocks of ~7.1 MB (12 W² int8 + scales), a 0.6 MB embedding, a 0.4 MB head.
  const shape: StageShape = {
    quant: "int8-dynamic",
    tokens: 197,
    width: 768,
    mlpWidth: 3072,
    heads: 12,
    grid: 14,
    embedDim: 512,
    tappedLayers: [3, 6, 9, 12],
    projectedLayers: [3, 6, 9, 12],
  };
  const weights = { embedding: 0.6e6, blocks: Array(12).fill(7.1e6) as number[], head: 0.4e6 };

  it("plans more stages as the budget shrinks, each within the budget, covering every block once", () => {
    let previous = 0;
    for (const budgetMb of [400, 128, 100, 80, 64]) {
      const plan = planStages(shape, weights, budgetMb * 1e6)!;
      expect(plan, `${budgetMb} MB`).not.toBeNull();
      expect(plan.length, `${budgetMb} MB`).toBeGreaterThanOrEqual(previous);
      expect(plan.flat()[0]).toBe(0);
      expect(plan.at(-1)![1]).toBe(12);
      for (let i = 1; i < plan.length; i++) expect(plan[i]![0]).toBe(plan[i - 1]![1]);
      for (const r of plan) {
        const bytes = (r[0] === 0 ? weights.embedding : 0) + (r[1] === 12 ? weights.head : 0) + (r[1] - r[0]) * 7.1e6;
        // planned to PLAN_SHARE of the budget (100 of 128 MB), the rest left to request buffers collected late
        expect(predictedPeakBytes(shape, r, bytes)).toBeLessThanOrEqual(PLAN_SHARE * budgetMb * 1e6);
      }
      previous = plan.length;
    }
    expect(planStages(shape, weights, 400e6)).toHaveLength(1);
    expect(planStages(shape, weights, 64e6)!.length).toBeGreaterThan(planStages(shape, weights, 128e6)!.length);
    // Below the baseline plus one block, no split fits.
    expect(planStages(shape, weights, 50e6)).toBeNull();
  });

  it("plans ViT-L-14-336 at 518 (chunked blocks) one block per stage at 128 MiB: a second block's activations do not fit", () => {
    const large: StageShape = {
      quant: "int8-dynamic",
      tokens: 1370,
      width: 1024,
      mlpWidth: 4096,
      heads: 16,
      grid: 37,
      embedDim: 768,
      tappedLayers: [6, 12, 18, 24],
      projectedLayers: [6, 12, 18, 24],
    };
    // measured int8 stage files (README "Stages"): 12.7 MB per block, 8.1 MB more in stage 0, 3.2 MB for a tap's projection
    const blocks = Array.from({ length: 24 }, (_, i) => 12.7e6 + ([6, 12, 18, 24].includes(i + 1) ? 3.2e6 : 0));
    const plan = planStages(large, { embedding: 8.1e6, blocks, head: 0 }, 128 * 2 ** 20)!;
    expect(plan).toHaveLength(24);
    expect(plan.every(([a, b]) => b - a === 1)).toBe(true);
  });

  it("compiles the planned stages: a budget between one block and the whole tower gives several stages within it", async () => {
    // Width 256, so the weights and not the fixed baseline decide; at this budget the text tower splits too
    // (text-stages.test.ts), which a width-32 model's 8 x 77-token text activations never allow below its image's peaks.
    const wide = randomCheckpoint(tinyArch({ width: 256, heads: 4, layers: 4, textLayers: 5 }), 3);
    const budgetMb = 55;
    const planned = expectStaged(await compileStagedBundle(wide, { name: "wide", vocabulary, isolateBudgetMb: budgetMb }));
    expect(planned.manifest.stages.length).toBeGreaterThan(1);
    // the manifest rounds predictions to 0.1 MB
    for (const s of planned.manifest.stages) expect(s.predictedPeakMb).toBeLessThanOrEqual(PLAN_SHARE * budgetMb + 0.051);
    await expect(compileStagedBundle(wide, { name: "wide", vocabulary, isolateBudgetMb: 1 })).rejects.toMatchObject({ code: "budget_too_small" });
  });
});

describe("default build unchanged", () => {
  it("no stage flag, --stages 1 and a roomy budget give compileBundle's files and model hash byte for byte", async () => {
    const base = await compileBundle(ckpt, options);
    for (const extra of [{}, { stages: 1 }, { isolateBudgetMb: 10_000 }]) {
      const b = await compileStagedBundle(ckpt, { ...options, ...extra });
      expect(JSON.stringify(b.manifest)).toBe(JSON.stringify(base.manifest));
      expect(Object.keys(b.files)).toEqual(Object.keys(base.files));
      for (const [path, bytes] of Object.entries(base.files)) expect(b.files[path], path).toEqual(bytes);
    }
  });

  it("the demo bundle is byte for byte the one main built before stages existed", async () => {
    const demo = await buildDemoModel();
    expect("stages" in demo.manifest).toBe(false);
    expect(Object.keys(demo.manifest.files)).toEqual(["image", "imageWeights", "text", "textWeights", "fewShotHead", "vocabulary"]);
    // modelHash of buildDemoModel() at commit feb870a (before the image tower could be staged). It hashes every
    // file, so a refactor that changes a single byte of any graph fails here; update it only for a deliberate change.
    expect(demo.manifest.modelHash).toBe("160020f53d7cbfb9e4580b87850f99d0dd547f83c37c4fcc234b877ff1c65b3a");
  });
});
