// Regression: ORT calls of different sessions (a session created while another one runs) must not corrupt each other.
import { describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle } from "../../../src/compiler/compile-bundle";
import { encodeImage, encodeTexts } from "../../../src/engine/runtime/clip-encoders";
import { OnnxModel } from "../../../src/engine/runtime/onnx-session";
import { openInMemory, seededUniform, tinyArch } from "../../helpers/tiny-bundle";

const vocabulary = new Uint8Array([1]);
const pixels = seededUniform(3 * 32 * 32, 1, -2, 2);
const feed = { pixels: { type: "float32" as const, data: pixels, dims: [1, 3, 32, 32] } };

describe("ORT sessions used concurrently", () => {
  it("runs of one session are unaffected by creating another session meanwhile", async () => {
    const a = await compileBundle(randomCheckpoint(tinyArch(), 1), { name: "a", vocabulary });
    const b = await compileBundle(randomCheckpoint(tinyArch({ width: 64, heads: 4 }), 2), { name: "b", vocabulary });
    const first = await OnnxModel.load(a.files["image.onnx"]!);
    const baseline = (await first.run(feed)).image_features!.data;
    let second: OnnxModel | undefined;
    const settled = await Promise.allSettled([
      (async () => {
        const out = [];
        for (let i = 0; i < 3; i++) out.push((await first.run(feed)).image_features!.data);
        return out;
      })(),
      (async () => {
        second = await OnnxModel.load(b.files["image.onnx"]!);
        return [(await second.run(feed)).image_features!.data];
      })(),
    ]);
    for (const s of settled) expect(s.status === "rejected" ? String(s.reason) : "ok").toBe("ok");
    const [runs] = settled.map((s) => (s.status === "fulfilled" ? s.value : []));
    for (const r of runs!) expect(Array.from(r)).toEqual(Array.from(baseline));
    await first.release();
    await second?.release();
  });

  it("a bundle can encode images while its text session is being created (two requests at once)", async () => {
    const compiled = await compileBundle(randomCheckpoint(tinyArch({ textWidth: 64, textHeads: 4 }), 3), { name: "c", vocabulary });
    const bundle = await openInMemory(compiled);
    const baseline = await encodeImage(bundle, pixels);
    const ids = new Int32Array(77);
    ids.set([62, 5, 63]);
    const [images, texts] = await Promise.allSettled([
      Promise.all(Array.from({ length: 8 }, () => encodeImage(bundle, pixels))),
      encodeTexts(bundle, ids),
    ]);
    expect(images.status === "rejected" ? String(images.reason) : "ok").toBe("ok");
    expect(texts.status === "rejected" ? String(texts.reason) : "ok").toBe("ok");
    if (images.status === "fulfilled") {
      for (const e of images.value) expect(Array.from(e.imageFeatures)).toEqual(Array.from(baseline.imageFeatures));
    }
  });
});
