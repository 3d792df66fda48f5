// The image tower run stage by stage through a StageRunner: the same encoding and analyses as the single graph.
import { combineMaps, fewShotMap, mapMax } from "../anomaly/few-shot";
import { zeroShotMapFromDifferences, zeroShotScore } from "../anomaly/zero-shot";
import type { LeaveOneOutValue } from "../anomaly/calibration";
import type { FewShotInput, ImageAnalysis, ImageTower } from "../detector/image-tower";
import type { ReferenceShots, ShotsEmbedding } from "../detector/reference-shots";
import type { ImageEncoding } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";
import { type StageCall, StageError, type StageReply, type StageRunner } from "./stage-port";
import { callBytes, replyBytes, type StageTrace } from "./stage-trace";
import { releaseBuffer } from "../../shared/release-buffer";

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

/** The value of `layer` in whichever stage reply holds it. */
function fromReplies<R, T>(replies: readonly R[], pick: (r: R) => Map<number, T>, layer: number, what: string): T {
  for (const r of replies) {
    const v = pick(r).get(layer);
    if (v) return v;
  }
  throw new StageError(`no image stage returned the ${what} of layer ${layer}`);
}

/** One stage's part of a shots call, gathered by the front: per-shot maps and bank rows laid out k shots long. */
interface StageShotsParts {
  zeroShotDifferences: Map<number, Float32Array>;
  leaveOneOutDistances: Map<number, Float32Array>;
  banks: Map<number, Uint16Array>;
}

/**
 * Every shot of a reference set through the stages, one call per stage for all of them, each streamed: the front
 * hands a stage shot j's input (stage 0: decoded only when the stage asks for it) and releases it when shot j's
 * output is back, so it holds about one pixel input and the k residual streams of one hop, plus the small maps and the
 * few-shot layers' bank rows (already in the stored dtype) it gathers into the set's banks.
 */
async function embedShotsInStages(bundle: ModelBundle, runner: StageRunner, shots: ReferenceShots, textFeatures: Float32Array): Promise<ShotsEmbedding> {
  const m = bundle.manifest;
  const k = shots.count;
  const patches = m.grid * m.grid;
  const width = m.architecture.vision.width;
  const embedDim = m.architecture.embedDim;
  const trace: StageTrace = { hops: [] };
  const parts: StageShotsParts[] = [];
  const imageFeatures = new Float32Array(k * embedDim);
  let residuals: (Float32Array | undefined)[] = [];
  for (let i = 0; i < runner.stageCount; i++) {
    const last = i === runner.stageCount - 1;
    const held = residuals;
    const releases: (() => void)[] = [];
    // A shot that fails to decode fails the input stream; the stage then fails too, but the decoding error is the answer.
    let inputError: unknown;
    let sentBytes = textFeatures.byteLength;
    async function* inputs(): AsyncGenerator<Float32Array> {
      for (let j = 0; j < k; j++) {
        let input: Float32Array;
        if (i === 0) {
          try {
            const shot = await shots.pixels(j);
            releases[j] = () => shot.release();
            input = shot.pixels;
          } catch (e) {
            inputError = e;
            throw e;
          }
        } else {
          input = held[j]!;
          held[j] = undefined;
          releases[j] = () => releaseBuffer(input);
        }
        sentBytes += input.byteLength;
        yield input;
      }
    }
    const part: StageShotsParts = { zeroShotDifferences: new Map(), leaveOneOutDistances: new Map(), banks: new Map() };
    const next: Float32Array[] = [];
    let receivedBytes = 0;
    let workMs: number | undefined;
    let j = 0;
    const start = performance.now();
    try {
      for await (const item of runner.runShots(i, { inputs: inputs(), shots: k, textFeatures })) {
        if ("end" in item) {
          if (j !== k) throw new StageError(`image stage ${i} ended its shots call after ${j} of ${k} shots`);
          for (const [l, d] of item.end.leaveOneOutDistances) {
            part.leaveOneOutDistances.set(l, d);
            receivedBytes += d.byteLength;
          }
          workMs = item.end.workMs;
          continue;
        }
        if (j === k || workMs !== undefined) throw new StageError(`image stage ${i} returned more than ${k} shots`);
        const shot = item.shot;
        // Shot j's input has been consumed: the stage keeps none of it.
        releases[j]?.();
        if (!last && !shot.residual) throw new StageError(`image stage ${i} returned no residual stream`);
        if (last && !shot.imageFeatures) throw new StageError(`the last image stage (${i}) returned no image features`);
        if (shot.residual) next.push(shot.residual);
        if (shot.imageFeatures) imageFeatures.set(shot.imageFeatures, j * embedDim);
        receivedBytes += (shot.residual ?? shot.imageFeatures)!.byteLength;
        for (const [l, d] of shot.zeroShotDifferences) {
          const all = part.zeroShotDifferences.get(l) ?? new Float32Array(k * patches);
          part.zeroShotDifferences.set(l, all);
          all.set(d, j * patches);
          receivedBytes += d.byteLength;
        }
        for (const [l, rows] of shot.bankRows) {
          const bank = part.banks.get(l) ?? new Uint16Array(k * patches * width);
          part.banks.set(l, bank);
          bank.set(rows, j * patches * width);
          receivedBytes += rows.byteLength;
          releaseBuffer(rows); // copied into the set's bank; the stage keeps none of what it sends
        }
        j++;
      }
    } catch (e) {
      throw inputError ?? e;
    }
    if (workMs === undefined) throw new StageError(`image stage ${i} ended its shots call without its leave-one-out distances`);
    trace.hops.push({ stage: i, sentBytes, receivedBytes, roundTripMs: performance.now() - start, workMs });
    parts.push(part);
    residuals = next;
  }

  const ofShot = (a: Float32Array, j: number, n: number) => a.subarray(j * n, (j + 1) * n);
  const differences = m.layers.zeroShot.map((l) => fromReplies(parts, (r) => r.zeroShotDifferences, l, "zero-shot logits"));
  const leaveOneOut = k > 1 ? m.layers.fewShot.map((l) => fromReplies(parts, (r) => r.leaveOneOutDistances, l, "leave-one-out distances")) : [];
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
  const memory = new Map(m.layers.fewShot.map((l) => [l, fromReplies(parts, (r) => r.banks, l, "memory bank")]));
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
