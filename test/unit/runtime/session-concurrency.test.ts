// Regression: ORT calls of different sessions (a session created while another one runs) must not corrupt each other.
import { describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle } from "../../../src/compiler/compile-bundle";
import { encodeImage, encodeTexts } from "../../../src/engine/runtime/clip-encoders";
import { imageGraphNames } from "../../../src/engine/runtime/graph-names";
import { openInMemory, seededUniform, tinyArch } from "../../helpers/tiny-bundle";

const vocabulary = new Uint8Array([1]);
const pixels = seededUniform(3 * 32 * 32, 1, -2, 2);
const feed = { [imageGraphNames.pixels]: { type: "float32" as const, data: pixels, dims: [1, 3, 32, 32] } };

const settledOk = (s: PromiseSettledResult<unknown>): string => (s.status === "rejected" ? String(s.reason) : "ok");

describe("ORT sessions used concurrently", () => {
  it("runs of one session are unaffected by creating another session meanwhile", async () => {
    const a = await openInMemory(await compileBundle(randomCheckpoint(tinyArch(), 1), { name: "a", vocabulary }));
    const b = await openInMemory(await compileBundle(randomCheckpoint(tinyArch({ width: 64, heads: 4 }), 2), { name: "b", vocabulary }));
    const first = await a.session("image");
    const baseline = Array.from((await first.run(feed))[imageGraphNames.features]!.data);
    // Bytes read and verified up front, so that the session is created right while `first` runs.
    await b.readFile("image");
    const settled = await Promise.allSettled([
      (async () => {
        const out: number[][] = [];
        for (let i = 0; i < 3; i++) out.push(Array.from((await first.run(feed))[imageGraphNames.features]!.data));
        return out;
      })(),
      (async () => (await (await b.session("image")).run(feed))[imageGraphNames.features]!.data)(),
    ]);
    expect(settled.map(settledOk)).toEqual(["ok", "ok"]);
    if (settled[0]!.status === "fulfilled") for (const r of settled[0]!.value) expect(r).toEqual(baseline);
    await a.releaseSession("image");
    await b.releaseSession("image");
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
    expect([images, texts].map(settledOk)).toEqual(["ok", "ok"]);
    if (images.status === "fulfilled") {
      for (const e of images.value) expect(Array.from(e.imageFeatures)).toEqual(Array.from(baseline.imageFeatures));
    }
  });
});
