// Regression: ORT calls of different sessions (one created and run while another runs) must not corrupt each other.
import { describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle } from "../../../src/compiler/compile-bundle";
import { buildImageTowerGraph } from "../../../src/compiler/onnx/image-tower-graph";
import { encodeImage, encodeTexts } from "../../../src/engine/runtime/clip-encoders";
import { imageGraphNames } from "../../../src/engine/runtime/graph-names";
import { OnnxModel } from "../../../src/engine/runtime/onnx-session";
import { openInMemory, seededUniform, tinyArch } from "../../helpers/tiny-bundle";

const pixels = seededUniform(3 * 32 * 32, 1, -2, 2);
const feed = { [imageGraphNames.pixels]: { type: "float32" as const, data: pixels, dims: [1, 3, 32, 32] } };

/** A self-contained fp32 image graph (weights inside the .onnx) of a tiny random CLIP. */
function imageGraph(width: number, seed: number): Uint8Array {
  const ckpt = randomCheckpoint(tinyArch({ width, heads: 4 }), seed);
  const v = ckpt.vision;
  return buildImageTowerGraph(ckpt, { imageSize: 32, positionalEmbedding: v.positionalEmbedding, tappedLayers: [1, 3], projectedLayers: [1, 3], quant: "fp32" })
    .model;
}

async function features(model: OnnxModel): Promise<number[]> {
  return Array.from((await model.run(feed))[imageGraphNames.features]!.data);
}

describe("ORT sessions used concurrently", () => {
  it("a session created and run while another session runs leaves both results intact", async () => {
    const a = await OnnxModel.load(imageGraph(32, 1));
    const bBytes = imageGraph(64, 2);
    const wantA = await features(a);
    const alone = await OnnxModel.load(bBytes);
    const wantB = await features(alone);
    await alone.release();

    // Shift the second session's start by 0..11 microtasks: the overlap that breaks depends on the interleaving
    // (measured before the fix: delays 0-2 broke the first session's runs, 5-11 the new session's first run).
    const failures: string[] = [];
    for (let delay = 0; delay < 12; delay++) {
      const [runsA, runB] = await Promise.allSettled([
        (async () => [await features(a), await features(a)])(),
        (async () => {
          for (let i = 0; i < delay; i++) await Promise.resolve();
          const b = await OnnxModel.load(bBytes);
          try {
            return await features(b);
          } finally {
            await b.release();
          }
        })(),
      ]);
      if (runsA.status === "rejected") failures.push(`delay ${delay}, running session: ${String(runsA.reason)}`);
      else if (runsA.value.some((r) => r.some((x, i) => x !== wantA[i]))) failures.push(`delay ${delay}, running session: wrong output`);
      if (runB.status === "rejected") failures.push(`delay ${delay}, new session: ${String(runB.reason)}`);
      else if (runB.value.some((x, i) => x !== wantB[i])) failures.push(`delay ${delay}, new session: wrong output`);
    }
    await a.release();
    expect(failures).toEqual([]);
  });

  it("a bundle can encode images while its text session is being created (two requests at once)", async () => {
    const ckpt = randomCheckpoint(tinyArch({ textWidth: 64, textHeads: 4 }), 3);
    const bundle = await openInMemory(await compileBundle(ckpt, { name: "c", vocabulary: new Uint8Array([1]) }));
    const baseline = await encodeImage(bundle, pixels);
    const ids = new Int32Array(77);
    ids.set([62, 5, 63]);
    const [images, texts] = await Promise.allSettled([Promise.all(Array.from({ length: 8 }, () => encodeImage(bundle, pixels))), encodeTexts(bundle, ids)]);
    expect([images, texts].map((s) => (s.status === "rejected" ? String(s.reason) : "ok"))).toEqual(["ok", "ok"]);
    if (images.status === "fulfilled") {
      for (const e of images.value) expect(Array.from(e.imageFeatures)).toEqual(Array.from(baseline.imageFeatures));
    }
  });
});
