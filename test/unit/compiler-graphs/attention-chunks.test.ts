// Blocks computed in chunks (attention a few heads at a time, the MLP a few rows at a time) give the unchunked outputs.
import { describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { buildImageTowerGraph, type ImageGraphOptions } from "../../../src/compiler/onnx/image-tower-graph";
import type { QuantScheme } from "../../../src/compiler/onnx/linear";
import { ACTIVATION_CHUNK_BYTES, activationChunks } from "../../../src/compiler/stage-plan";
import { imageGraphNames } from "../../../src/engine/runtime/graph-names";
import { OnnxModel, type Outputs } from "../../../src/engine/runtime/onnx-session";
import { relativeError, seededUniform, tinyArch } from "../../helpers/tiny-bundle";

describe("activation chunks", () => {
  it("leave ViT-B-16 at 224 whole and split ViT-L-14-336 at 336 and 518", () => {
    expect(activationChunks(197, 12, 3072)).toEqual({ headsPerChunk: 12, attentionRows: 197, mlpRows: 197 });
    // 577 tokens: 2 * 577² * 4 B = 2.7 MB of scores + softmax per head, so 3 heads per chunk, every row; the MLP's
    // 577 x 4096 before and after GELU (18.9 MB) in 3 chunks
    expect(activationChunks(577, 16, 4096)).toEqual({ headsPerChunk: 3, attentionRows: 577, mlpRows: 193 });
    // 1370 tokens: 15 MB per head is over the bound alone, so one head at a time in 2 chunks of query rows; the MLP in 6
    expect(activationChunks(1370, 16, 4096)).toEqual({ headsPerChunk: 1, attentionRows: 685, mlpRows: 229 });
    for (const [t, h, m] of [
      [577, 16, 4096],
      [785, 12, 3072],
      [1370, 16, 4096],
      [2305, 16, 4096],
    ] as const) {
      const c = activationChunks(t, h, m);
      expect(2 * c.headsPerChunk * c.attentionRows * t * 4).toBeLessThanOrEqual(ACTIVATION_CHUNK_BYTES);
      expect(2 * c.mlpRows * m * 4).toBeLessThanOrEqual(ACTIVATION_CHUNK_BYTES);
    }
  });
});

const ckpt = randomCheckpoint(tinyArch({ layers: 3, heads: 4, imageSize: 40, activation: "gelu" }), 11);
const pixels = seededUniform(2 * 3 * 40 * 40, 3, -2, 2);
const base = (quant: QuantScheme): ImageGraphOptions => ({
  imageSize: 40,
  positionalEmbedding: ckpt.vision.positionalEmbedding,
  tappedLayers: [1, 2, 3],
  projectedLayers: [2, 3],
  quant,
  externalDataFile: "w.bin",
});

async function run(o: ImageGraphOptions): Promise<Outputs> {
  const g = buildImageTowerGraph(ckpt, o);
  const model = await OnnxModel.load(g.model, {}, { path: "w.bin", data: g.externalData! });
  try {
    return await model.run({ [imageGraphNames.pixels]: { type: "float32", data: pixels, dims: [2, 3, 40, 40] } });
  } finally {
    await model.release();
  }
}

describe.each<[QuantScheme, Partial<ImageGraphOptions>]>([
  ["fp32", { headsPerChunk: 1, mlpRows: 7 }],
  ["fp32", { headsPerChunk: 3, mlpRows: 26 }],
  ["fp32", { headsPerChunk: 1, attentionRows: 9, mlpRows: 7 }],
  ["fp32", { headsPerChunk: 2, attentionRows: 13 }],
  // attention is float32 in every scheme, so chunking heads leaves an int8 graph's arithmetic as it was
  ["int8-dynamic", { headsPerChunk: 1 }],
  ["int8-dynamic", { headsPerChunk: 1, attentionRows: 9 }],
])("image tower %s chunked %o", (quant, chunks) => {
  it("gives the unchunked outputs (26 tokens, 4 heads)", async () => {
    const whole = await run(base(quant));
    const chunked = await run({ ...base(quant), ...chunks });
    expect(Object.keys(chunked).sort()).toEqual(Object.keys(whole).sort());
    for (const [name, t] of Object.entries(whole)) expect(relativeError(chunked[name]!.data, t.data), name).toBeLessThanOrEqual(1e-6);
    expect(buildImageTowerGraph(ckpt, { ...base(quant), ...chunks }).model).not.toEqual(buildImageTowerGraph(ckpt, base(quant)).model);
  });
});
