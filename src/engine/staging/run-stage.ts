// One image-tower stage run where its weights live: the stage's graph, then the per-layer reductions the call asks for.
import { zeroShotLogitDifference } from "../anomaly/zero-shot";
import { fewShotDistances, stageHeadChunkRows } from "../runtime/clip-encoders";
import { imageGraphNames } from "../runtime/graph-names";
import { releaseBuffer } from "../../shared/release-buffer";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import { imageStageLayout } from "./image-stage-layout";
import { ortStageGraph, type StageGraph } from "./stage-graph";
import type { FewShotBankKey, StageCall, StageReply } from "./stage-port";
import type { BankRows } from "../detector/reference-shots";

/**
 * The memory banks [k*G², W] of the given few-shot layers of a reference set, float32 or the half bits they are stored
 * in (in the stage: read from storage, cached).
 */
export type BankSource = (key: FewShotBankKey, layers: readonly number[]) => Promise<Map<number, BankRows>>;

export async function runImageStage(
  bundle: ModelBundle,
  index: number,
  call: StageCall,
  banks: BankSource,
  graph: StageGraph = ortStageGraph(bundle, index),
): Promise<StageReply> {
  const start = performance.now();
  const { inputDims: dims, inputValues, last, outputName, zeroShot, fewShot, patches, width, fewShotTap: tapOf } = imageStageLayout(bundle, index);
  const stage = bundle.stages![index]!;
  const m = bundle.manifest;
  if (call.input.length !== inputValues) {
    throw new RangeError(`stage ${index} takes [${dims.join(", ")}] (${inputValues} values), got ${call.input.length}`);
  }
  if (call.textFeatures && call.textFeatures.length !== 2 * m.architecture.embedDim) {
    throw new RangeError(`text features must be [${m.architecture.embedDim}, 2], got ${call.textFeatures.length} values`);
  }
  // The bank is read while the graph runs.
  const bank = call.fewShotBank && fewShot.length > 0 ? banks(call.fewShotBank, fewShot) : undefined;
  bank?.catch(() => {});

  const wanted = new Set<string>([outputName]);
  if (call.taps) for (const name of stage.outputs) wanted.add(name);
  if (call.textFeatures) for (const l of zeroShot) wanted.add(imageGraphNames.projected(l));
  if (bank) for (const l of fewShot) wanted.add(tapOf(l));
  const out = await graph.run(call.input, [...wanted]);
  const get = (name: string) => {
    const t = out[name];
    if (!t) throw new BundleError("bundle_invalid", `image stage ${index} has no output ${name}`);
    return t;
  };

  const reply: StageReply = {
    tokens: new Map(),
    projected: new Map(),
    zeroShotDifferences: new Map(),
    fewShotDistances: new Map(),
    workMs: 0,
  };
  if (last) reply.imageFeatures = get(outputName);
  else reply.residual = get(outputName);
  if (call.taps) {
    for (const l of new Set([...zeroShot, ...fewShot])) reply.tokens.set(l, get(imageGraphNames.tokens(l)));
    for (const l of zeroShot) reply.projected.set(l, get(imageGraphNames.projected(l)));
  }
  // Outputs reduced here and not returned are released at once (ORT's outputs are fresh buffers), unless tapped.
  const spent = (a: Float32Array) => {
    if (!call.taps && a !== reply.residual && a !== reply.imageFeatures) releaseBuffer(a);
  };
  if (call.textFeatures) {
    for (const l of zeroShot) {
      const projected = get(imageGraphNames.projected(l));
      reply.zeroShotDifferences.set(l, zeroShotLogitDifference(projected, call.textFeatures));
      spent(projected);
    }
  }
  if (bank) {
    const memory = await bank;
    const query = fewShot.map((l) => get(tapOf(l)).subarray(width)); // drop the class token
    const banksOfLayers = fewShot.map((l) => {
      const b = memory.get(l);
      if (!b) throw new BundleError("bundle_invalid", `the memory bank has no layer ${l}`);
      return b;
    });
    // At most one shot's rows at a time: ORT holds [G², G²] similarities or fewer, not [G², k*G²] (the same minimum).
    const distances = await fewShotDistances(bundle, query, banksOfLayers, stageHeadChunkRows(patches));
    for (const [i, l] of fewShot.entries()) reply.fewShotDistances.set(l, distances[i]!);
    for (const l of fewShot) spent(get(tapOf(l)));
  }
  reply.workMs = performance.now() - start;
  return reply;
}
