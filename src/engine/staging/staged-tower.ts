// The image tower run stage by stage through a StageRunner: the same encoding and analyses as the single graph.
import { combineMaps, fewShotMap, mapMax } from "../anomaly/few-shot";
import { zeroShotMapFromDifferences, zeroShotScore } from "../anomaly/zero-shot";
import type { LeaveOneOutValue } from "../anomaly/calibration";
import type { FewShotInput, ImageAnalysis, ImageTower } from "../detector/image-tower";
import type { ReferenceShots, ShotsEmbedding } from "../detector/reference-shots";
import type { ImageEncoding } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";
import { type StageCall, StageError, type StageReply, type StageRunner, type StageShotsReply } from "./stage-port";
import { callBytes, replyBytes, shotsReplyBytes, type StageTrace } from "./stage-trace";

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
    // The previous hop's residual stream is spent: released now, not left to the collector (with 24 hops of 5.6 MB
    // each way, a ViT-L-14-336 front held 265 MB of them in one score). Tapped runs keep every reply's arrays.
    if (i > 0 && !extra.taps) releaseBuffer(input);
    replies.push(reply);
    const last = i === runner.stageCount - 1;
    if (!last && !reply.residual) throw new StageError(`image stage ${i} returned no residual stream`);
    if (last && !reply.imageFeatures) throw new StageError(`the last image stage (${i}) returned no image features`);
    if (reply.residual) input = reply.residual;
  }
  return { replies, trace };
}

/** Detaches the array's buffer (its backing store goes at once) where the runtime can; elsewhere the collector takes it. */
function releaseBuffer(a: Float32Array): void {
  const buffer = a.buffer as ArrayBuffer & { transfer?: (length?: number) => ArrayBuffer };
  if (typeof buffer.transfer === "function" && !(buffer as { detached?: boolean }).detached) buffer.transfer(0);
}

/** The value of `layer` in whichever stage reply holds it. */
function fromReplies<R, T>(replies: readonly R[], pick: (r: R) => Map<number, T>, layer: number, what: string): T {
  for (const r of replies) {
    const v = pick(r).get(layer);
    if (v) return v;
  }
  throw new StageError(`no image stage returned the ${what} of layer ${layer}`);
}

/**
 * Every shot of a reference set through the stages, one call per stage for all of them: the front holds the k inputs
 * of one hop and the small maps; each stage returns its few-shot layers' banks already in the stored dtype.
 */
async function embedShotsInStages(bundle: ModelBundle, runner: StageRunner, shots: ReferenceShots, textFeatures: Float32Array): Promise<ShotsEmbedding> {
  const m = bundle.manifest;
  const k = shots.count;
  const pixelLength = 3 * m.imageSize * m.imageSize;
  let input: Float32Array = new Float32Array(k * pixelLength);
  for (let j = 0; j < k; j++) {
    const shot = await shots.pixels(j);
    try {
      input.set(shot.pixels, j * pixelLength);
    } finally {
      shot.release();
    }
  }
  const trace: StageTrace = { hops: [] };
  const replies: StageShotsReply[] = [];
  for (let i = 0; i < runner.stageCount; i++) {
    const start = performance.now();
    const reply = await runner.runShots(i, { input, shots: k, textFeatures });
    const roundTripMs = performance.now() - start;
    const sentBytes = input.byteLength + textFeatures.byteLength;
    trace.hops.push({ stage: i, sentBytes, receivedBytes: shotsReplyBytes(reply), roundTripMs, workMs: reply.workMs });
    const last = i === runner.stageCount - 1;
    if (!last && !reply.residuals) throw new StageError(`image stage ${i} returned no residual streams`);
    if (last && !reply.imageFeatures) throw new StageError(`the last image stage (${i}) returned no image features`);
    if (reply.residuals) input = reply.residuals;
    replies.push({ ...reply, residuals: undefined });
  }

  const patches = m.grid * m.grid;
  const embedDim = m.architecture.embedDim;
  const imageFeatures = replies.at(-1)!.imageFeatures!;
  const ofShot = (a: Float32Array, j: number, n: number) => a.subarray(j * n, (j + 1) * n);
  const differences = m.layers.zeroShot.map((l) => fromReplies(replies, (r) => r.zeroShotDifferences, l, "zero-shot logits"));
  const leaveOneOut = k > 1 ? m.layers.fewShot.map((l) => fromReplies(replies, (r) => r.leaveOneOutDistances, l, "leave-one-out distances")) : [];
  const values: LeaveOneOutValue[] = [];
  for (let j = 0; j < k; j++) {
    const zeroShotMap = zeroShotMapFromDifferences(
      differences.map((d) => ofShot(d, j, patches)),
      m.grid,
      m.imageSize,
    );
    const score = zeroShotScore(ofShot(imageFeatures, j, embedDim), textFeatures);
    // k = 1: no other shot, the single-shot prior takes the zero-shot map max (as calibrateShots does).
    const combinedMax =
      k === 1
        ? mapMax(zeroShotMap)
        : mapMax(
            combineMaps(
              zeroShotMap,
              fewShotMap(
                leaveOneOut.map((d) => ofShot(d, j, patches)),
                m.grid,
                m.imageSize,
              ),
            ),
          );
    values.push({ combinedMax, zeroShotScore: score });
  }
  const memory = new Map(m.layers.fewShot.map((l) => [l, fromReplies(replies, (r) => r.banks, l, "memory bank")]));
  return { values, memory, stages: trace };
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

    embedShots: (shots, textFeatures) => embedShotsInStages(bundle, runner, shots, textFeatures),

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
