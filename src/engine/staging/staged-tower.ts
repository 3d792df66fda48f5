// The image tower run stage by stage through a StageRunner: the same encoding and analyses as the single graph.
import { combineMaps, fewShotMap, mapMax } from "../anomaly/few-shot";
import { zeroShotMapFromDifferences, zeroShotScore } from "../anomaly/zero-shot";
import type { FewShotInput, ImageAnalysis, ImageTower } from "../detector/image-tower";
import type { ImageEncoding } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";
import { type StageCall, StageError, type StageReply, type StageRunner } from "./stage-port";
import { callBytes, replyBytes, type StageTrace } from "./stage-trace";

/** Star topology: the front calls stage 0, hands its residual stream to stage 1, and so on; `extra` goes to every stage. */
async function chain(runner: StageRunner, pixels: Float32Array, extra: Omit<StageCall, "input">): Promise<{ replies: StageReply[]; trace: StageTrace }> {
  const replies: StageReply[] = [];
  const trace: StageTrace = { hops: [] };
  let input = pixels;
  for (let i = 0; i < runner.stageCount; i++) {
    const call: StageCall = { ...extra, input };
    const start = performance.now();
    const reply = await runner.run(i, call);
    const roundTripMs = performance.now() - start;
    trace.hops.push({ stage: i, sentBytes: callBytes(call), receivedBytes: replyBytes(reply), roundTripMs, workMs: reply.workMs });
    replies.push(reply);
    const last = i === runner.stageCount - 1;
    if (!last && !reply.residual) throw new StageError(`image stage ${i} returned no residual stream`);
    if (last && !reply.imageFeatures) throw new StageError(`the last image stage (${i}) returned no image features`);
    if (reply.residual) input = reply.residual;
  }
  return { replies, trace };
}

/** The value of `layer` in whichever stage reply holds it. */
function fromReplies(replies: readonly StageReply[], pick: (r: StageReply) => Map<number, Float32Array>, layer: number, what: string): Float32Array {
  for (const r of replies) {
    const v = pick(r).get(layer);
    if (v) return v;
  }
  throw new StageError(`no image stage returned the ${what} of layer ${layer}`);
}

export function stagedTower(bundle: ModelBundle, runner: StageRunner): ImageTower {
  const m = bundle.manifest;
  if (bundle.stages?.length !== runner.stageCount) {
    throw new StageError(`the bundle has ${bundle.stages?.length ?? 1} image stage(s), the runner ${runner.stageCount}`);
  }
  return {
    banksInStages: true,
    async encode(pixels): Promise<ImageEncoding> {
      const { replies } = await chain(runner, pixels, { taps: true });
      const tokens = new Map<number, Float32Array>();
      for (const l of new Set([...m.layers.zeroShot, ...m.layers.fewShot]))
        tokens.set(
          l,
          fromReplies(replies, (r) => r.tokens, l, "tokens"),
        );
      const projected = new Map<number, Float32Array>();
      for (const l of m.layers.zeroShot)
        projected.set(
          l,
          fromReplies(replies, (r) => r.projected, l, "projected tokens"),
        );
      return { imageFeatures: replies.at(-1)!.imageFeatures!, tokens, projected };
    },

    async analyse(pixels, textFeatures, fewShot?: FewShotInput): Promise<ImageAnalysis> {
      const { replies, trace } = await chain(runner, pixels, { textFeatures, ...(fewShot ? { fewShotBank: fewShot.bank } : {}) });
      // Summed in the manifest's layer order, as the single graph's maps are.
      const differences = m.layers.zeroShot.map((l) => fromReplies(replies, (r) => r.zeroShotDifferences, l, "zero-shot logits"));
      const zs = {
        zeroShotScore: zeroShotScore(replies.at(-1)!.imageFeatures!, textFeatures),
        zeroShotMap: zeroShotMapFromDifferences(differences, m.grid, m.imageSize),
      };
      if (!fewShot) return { ...zs, stages: trace };
      const distances = m.layers.fewShot.map((l) => fromReplies(replies, (r) => r.fewShotDistances, l, "few-shot distances"));
      const fs = fewShotMap(distances, m.grid, m.imageSize);
      const combined = combineMaps(zs.zeroShotMap, fs);
      return { ...zs, fewShot: { fewShotMap: fs, combinedMap: combined, combinedMax: mapMax(combined) }, stages: trace };
    },
  };
}
