// Text tower compiled in stages: chained stage graphs give the whole graph's features; planned from the budget.
import { describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileStagedBundle, type CompiledStagedBundle } from "../../../src/compiler/compile-bundle";
import type { QuantScheme } from "../../../src/compiler/onnx/linear";
import { buildTextTowerGraph } from "../../../src/compiler/onnx/text-tower-graph";
import { sha256Hex, stagedBundleManifestSchema } from "../../../src/engine/runtime/bundle-manifest";
import { tokenEmbeddingTable } from "../../../src/compiler/token-embedding-table";
import { embeddingRowsOf, gatherTokenEmbeddings } from "../../../src/engine/staging/text-embedding-gather";
import { tokenEmbeddingRowBytes } from "../../../src/engine/runtime/token-embedding-format";
import { textGraphNames } from "../../../src/engine/runtime/graph-names";
import { type FeedValue, OnnxModel, type Outputs } from "../../../src/engine/runtime/onnx-session";
import { relativeError, tinyArch } from "../../helpers/tiny-bundle";

const ckpt = randomCheckpoint(tinyArch({ layers: 4, textLayers: 5, activation: "quick_gelu" }), 8);
// three sentences trimmed to 9 positions: SOT, body, EOT (63, the largest id) at 3, 8 and 1
const tokens = BigInt64Array.from([62, 5, 9, 63, 0, 0, 0, 0, 0, 62, 1, 2, 3, 4, 5, 6, 7, 63, 62, 63, 0, 0, 0, 0, 0, 0, 0].map(BigInt));
const tokenFeed: FeedValue = { type: "int64", data: tokens, dims: [3, 9] };

async function run(graph: { model: Uint8Array; externalData?: Uint8Array }, path: string, feeds: Record<string, FeedValue>): Promise<Outputs> {
  const model = await OnnxModel.load(graph.model, {}, { path, data: graph.externalData! });
  try {
    return await model.run(feeds);
  } finally {
    await model.release();
  }
}

async function chain(ranges: [number, number][], quant: QuantScheme): Promise<Float32Array> {
  let residual: Outputs[string] | undefined;
  for (const [from, to] of ranges) {
    const g = buildTextTowerGraph(ckpt, { quant, externalDataFile: "w.bin", blocks: [from, to] });
    const feeds: Record<string, FeedValue> = {};
    if (from === 0 || to === 5) feeds[textGraphNames.tokens] = tokenFeed;
    if (residual) feeds[textGraphNames.residual(from)] = { type: "float32", data: residual.data, dims: residual.dims };
    const out = await run(g, "w.bin", feeds);
    if (to === 5) return out[textGraphNames.features]!.data;
    residual = out[textGraphNames.residual(to)];
    expect(residual?.dims).toEqual([3, 9, 32]);
  }
  throw new Error("the ranges do not reach the last block");
}

describe.each<QuantScheme>(["fp32", "int8-dynamic"])("text tower in stages, %s", (quant) => {
  it("chained stages give the whole graph's features (2 and 3 stages)", async () => {
    const whole = (await run(buildTextTowerGraph(ckpt, { quant, externalDataFile: "w.bin" }), "w.bin", { [textGraphNames.tokens]: tokenFeed }))[
      textGraphNames.features
    ]!.data;
    for (const ranges of [
      [
        [0, 2],
        [2, 5],
      ],
      [
        [0, 1],
        [1, 4],
        [4, 5],
      ],
    ] as [number, number][][]) {
      expect(relativeError(await chain(ranges, quant), whole)).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe.each<QuantScheme>(["fp32", "int8-dynamic"])("text stage 0 on gathered token embeddings, %s", (quant) => {
  it("gives bit-identical residuals to the graph that gathers (and dequantizes) the table itself", async () => {
    const t = ckpt.text;
    const table = tokenEmbeddingTable(t.tokenEmbedding.data, t.vocabSize, t.width, quant);
    expect(table.bytes.length).toBe(t.vocabSize * tokenEmbeddingRowBytes(table.encoding, t.width));
    const reads: [number, number][] = [];
    const stride = tokenEmbeddingRowBytes(table.encoding, t.width);
    const rows = await gatherTokenEmbeddings(
      async (first, count) => {
        reads.push([first, count]);
        return table.bytes.slice(first * stride, (first + count) * stride);
      },
      table,
      Array.from(tokens, Number),
    );
    expect(reads.length).toBeGreaterThanOrEqual(1);
    const embedded: FeedValue = { type: "float32", data: embeddingRowsOf(tokens, rows, t.width), dims: [3, 9, t.width] };
    const name = textGraphNames.residual(2);
    const want = (await run(buildTextTowerGraph(ckpt, { quant, externalDataFile: "w.bin", blocks: [0, 2] }), "w.bin", { [textGraphNames.tokens]: tokenFeed }))[
      name
    ]!;
    const g = buildTextTowerGraph(ckpt, { quant, externalDataFile: "w.bin", blocks: [0, 2], embeddingInput: true });
    const got = (await run(g, "w.bin", { [textGraphNames.tokenEmbeddings]: embedded }))[name]!;
    expect(got.dims).toEqual(want.dims);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    // the graph without the table is smaller by at least the table
    expect(g.externalData!.length).toBeLessThanOrEqual(
      buildTextTowerGraph(ckpt, { quant, externalDataFile: "w.bin", blocks: [0, 2] }).externalData!.length - t.vocabSize * t.width,
    );
  });
});

describe("text stages from the isolate budget", () => {
  it("split the text tower when it does not fit and list them in a valid manifest; a roomy budget keeps text.onnx", async () => {
    const base = { name: "tiny", vocabulary: new Uint8Array([0x1f, 0x8b]) };
    // width 256: at 55 MB the image tower (~60 MB predicted whole) and the text tower (~69 MB whole, its activations
    // at 8 sentences x 77 tokens) both split
    const wide = randomCheckpoint(tinyArch({ width: 256, heads: 4, layers: 4, textLayers: 5 }), 3);
    const budget = 55;
    const compiled = await compileStagedBundle(wide, { ...base, isolateBudgetMb: budget });
    expect("stages" in compiled.manifest && compiled.manifest.textStages).toBeTruthy();
    const staged = compiled as CompiledStagedBundle;
    const m = stagedBundleManifestSchema.parse(staged.manifest);
    expect(m.files.text).toBeUndefined();
    expect(staged.files["text.onnx"]).toBeUndefined();
    const ts = m.textStages!;
    expect(ts[0]!.blocks[0]).toBe(0);
    expect(ts.at(-1)!.blocks[1]).toBe(5);
    for (let i = 1; i < ts.length; i++) expect(ts[i]!.blocks[0]).toBe(ts[i - 1]!.blocks[1]);
    for (const s of ts) {
      expect(s.predictedPeakMb).toBeLessThanOrEqual(budget + 0.051);
      expect(staged.files[s.graph.path]!.length).toBe(s.graph.bytes);
    }
    expect(ts[0]!.inputs).toEqual([textGraphNames.tokenEmbeddings]);
    // stage 0's graph holds no token table: it is the bundle's text-embedding.bin, hashed like every file
    expect(m.textEmbedding).toMatchObject({ encoding: "float32", rows: wide.text.vocabSize, width: 256 });
    expect(staged.files[m.textEmbedding!.file.path]!.length).toBe(m.textEmbedding!.file.bytes);
    expect(m.textEmbedding!.file.sha256).toBe(await sha256Hex(staged.files[m.textEmbedding!.file.path]!));
    expect(ts.at(-1)!.inputs).toEqual([textGraphNames.tokens, textGraphNames.residual(ts.at(-1)!.blocks[0])]);
    expect(ts.at(-1)!.outputs).toEqual([textGraphNames.features]);

    const roomy = await compileStagedBundle(wide, { ...base, stages: 2 });
    expect("textStages" in roomy.manifest).toBe(false);
    expect(roomy.files["text.onnx"]).toBeDefined();
  });
});
