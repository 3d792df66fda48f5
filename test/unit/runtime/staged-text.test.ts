// The text tower run stage by stage (in process): the whole graph's embeddings and build-time text features.
import { describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileStagedBundle, type CompiledStagedBundle } from "../../../src/compiler/compile-bundle";
import { withPrecomputedTextFeatures } from "../../../src/compiler/precompute-text-features";
import { buildDemoModel, buildStagedDemoModel } from "../../../src/compiler/demo-model";
import { encodeTexts } from "../../../src/engine/runtime/clip-encoders";
import { memoryBundleReader } from "../../../src/engine/runtime/memory-bundle-reader";
import { ModelBundle } from "../../../src/engine/runtime/model-bundle";
import { inProcessTextStageRunner } from "../../../src/engine/staging/in-process-text-runner";
import { encodeTextsInStages } from "../../../src/engine/staging/staged-text";
import type { TextStageCall, TextStageRunner } from "../../../src/engine/staging/text-stage-port";
import { relativeError, tinyArch } from "../../helpers/tiny-bundle";

const CONTEXT = 77;
/** n rows [SOT=62, body..., EOT=63], EOT at 1 + (i * 5) % 13: 19 rows, so the stages run 8 + 8 + 3. */
function rows(n: number): Int32Array {
  const ids = new Int32Array(n * CONTEXT);
  for (let i = 0; i < n; i++) {
    const body = (i * 5) % 13;
    ids[i * CONTEXT] = 62;
    for (let c = 1; c <= body; c++) ids[i * CONTEXT + c] = 1 + ((i + c * 7) % 60);
    ids[i * CONTEXT + body + 1] = 63;
  }
  return ids;
}

const open = (b: { files: Record<string, Uint8Array>; manifest: unknown }) => ModelBundle.open(memoryBundleReader(b.files, b.manifest));

describe.each([2, 3])("text tower in %i stages, in process", (textStages) => {
  const ckpt = randomCheckpoint(tinyArch({ layers: 4, textLayers: 5 }), 21);
  const base = { name: "tiny", vocabulary: new Uint8Array([0x1f, 0x8b]) };

  it("gives the whole text graph's embeddings for 19 sentences (batches of 8 inside each stage)", async () => {
    const whole = await open(await compileStagedBundle(ckpt, { ...base, stages: 2 }));
    const staged = await open((await compileStagedBundle(ckpt, { ...base, stages: 2, textStages })) as CompiledStagedBundle);
    expect(staged.textStages).toHaveLength(textStages);
    expect(whole.textStages).toBeUndefined();
    const ids = rows(19);
    const calls: TextStageCall[] = [];
    const events: [stage: number, batch: number, values: number][] = [];
    const inner = inProcessTextStageRunner(staged);
    const counting: TextStageRunner = {
      stageCount: inner.stageCount,
      run: async (i, call) => {
        calls.push(call);
        const out = await inner.run(i, call);
        return (async function* () {
          let k = 0;
          for await (const b of out) {
            events.push([i, k++, b.length]);
            yield b;
          }
        })();
      },
    };
    const got = await encodeTextsInStages(counting, ids, CONTEXT, ckpt.embedDim);
    const want = await encodeTexts(whole, ids);
    expect(relativeError(got, want)).toBeLessThanOrEqual(1e-6);
    // one call per stage for all 19 sentences, trimmed to the longest EOT position + 1 (13)
    expect(calls).toHaveLength(textStages);
    expect(calls.map((c) => c.seq)).toEqual(Array(textStages).fill(14));
    expect(calls[0]!.residual).toBeUndefined();
    for (const c of calls.slice(1)) expect(c.residual).toBeDefined();
    // the sentences stream through: batches of 8, 8, 3, and no stage is more than one batch ahead of the next
    for (let i = 0; i < textStages; i++) {
      const rowValues = i === textStages - 1 ? ckpt.embedDim : 14 * ckpt.text.width;
      expect(events.filter(([s]) => s === i).map(([, , v]) => v)).toEqual([8, 8, 3].map((c) => c * rowValues));
    }
    const at = (stage: number, batch: number) => events.findIndex(([s, b]) => s === stage && b === batch);
    for (let i = 1; i < textStages; i++) for (let k = 0; k < 2; k++) expect(at(i, k)).toBeLessThan(at(i - 1, k + 1));
  });
});

describe("build-time text features of a bundle whose text tower is staged", () => {
  it("equal the single-graph demo's", async () => {
    const objects = ["bottle", "screw"];
    const single = await withPrecomputedTextFeatures(await buildDemoModel({ seed: 0 }), objects);
    const staged = await withPrecomputedTextFeatures(await buildStagedDemoModel({ seed: 0, stages: 2, textStages: 2 }), objects);
    expect("textStages" in staged.manifest && staged.manifest.textStages).toHaveLength(2);
    const a = (await (await open(single)).precomputedTextFeatures())!.features;
    const b = (await (await open(staged)).precomputedTextFeatures())!.features;
    for (const o of objects) expect(relativeError(b.get(o)!, a.get(o)!), o).toBeLessThanOrEqual(1e-6);
  });
});
