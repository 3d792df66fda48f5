// One image-tower stage run on every shot of a reference set, streamed: its graph shot by shot, each shot's outputs
// (residual stream, zero-shot logit differences, bank rows in the stored dtype) handed on before the next shot's input
// is read, then the leave-one-out few-shot distances its layers need every shot for.
import { zeroShotLogitDifference } from "../anomaly/zero-shot";
import { encodeF16Clamped } from "../../shared/float16";
import { releaseBuffer } from "../../shared/release-buffer";
import { fewShotDistances, stageHeadChunkRows } from "../runtime/clip-encoders";
import { imageGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import { type ImageStageLayout, imageStageLayout } from "./image-stage-layout";
import { ortStageGraph, type StageGraph } from "./stage-graph";
import type { StageShotsCall, StageShotsItem } from "./stage-port";

/** Checks a shots call's shot count and text features before anything streams; returns the stage's layout. */
export function checkStageShotsCall(bundle: ModelBundle, index: number, shots: number, textFeatures: Float32Array): ImageStageLayout {
  const layout = imageStageLayout(bundle, index);
  if (!Number.isInteger(shots) || shots < 1) throw new RangeError(`stage ${index}: a shots call needs a whole number of shots >= 1, got ${shots}`);
  const embedDim = bundle.manifest.architecture.embedDim;
  if (textFeatures.length !== 2 * embedDim) throw new RangeError(`text features must be [${embedDim}, 2], got ${textFeatures.length} values`);
  return layout;
}

export async function* runImageStageShots(
  bundle: ModelBundle,
  index: number,
  call: StageShotsCall,
  graph: StageGraph = ortStageGraph(bundle, index),
): AsyncGenerator<StageShotsItem> {
  let started = performance.now();
  const layout = checkStageShotsCall(bundle, index, call.shots, call.textFeatures);
  const { inputDims: dims, inputValues, last, outputName: outName, outputValues, zeroShot, fewShot, patches, width, fewShotTap } = layout;
  const k = call.shots;
  const wrongInputs = (got: string) => new RangeError(`stage ${index} takes ${k} x [${dims.join(", ")}] (${inputValues} values each), got ${got}`);

  const wanted = [...new Set([outName, ...zeroShot.map((l) => imageGraphNames.projected(l)), ...fewShot.map(fewShotTap)])];
  // Float32 patch rows of every shot, the leave-one-out search's input (the single graph calibrates on float32 too):
  // the one part of a shots call a stage holds for all k shots, and only for its few-shot layers.
  // One buffer, shot after shot and each shot's layers one after the other, so the head takes a shot's layers as one
  // view instead of a copy per search.
  const layerValues = patches * width;
  const rows = k > 1 && fewShot.length > 0 ? new Float32Array(k * fewShot.length * layerValues) : undefined;
  const shotRows = (l: number, i: number) => {
    const at = (i * fewShot.length + fewShot.indexOf(l)) * layerValues;
    return rows!.subarray(at, at + layerValues);
  };

  let workMs = performance.now() - started;
  let j = 0;
  for await (const input of call.inputs) {
    started = performance.now();
    if (j === k) throw wrongInputs(`more than ${k} inputs`);
    if (input.length !== inputValues) throw wrongInputs(`${input.length} values for shot ${j}`);
    const result = await graph.run(input, wanted);
    const get = (name: string) => {
      const t = result[name];
      if (!t) throw new BundleError("bundle_invalid", `image stage ${index} has no output ${name}`);
      return t;
    };
    const out = get(outName);
    if (out.length !== outputValues)
      throw new BundleError("bundle_invalid", `image stage ${index} gave ${out.length} values of ${outName}, not ${outputValues}`);
    // ORT's outputs are fresh buffers: the ones reduced here are released at once, not left to the collector.
    const zeroShotDifferences = new Map<number, Float32Array>();
    for (const l of zeroShot) {
      const projected = get(imageGraphNames.projected(l));
      zeroShotDifferences.set(l, zeroShotLogitDifference(projected, call.textFeatures));
      releaseBuffer(projected);
    }
    const bankRows = new Map<number, Uint16Array>();
    for (const l of fewShot) {
      const tapped = get(fewShotTap(l));
      const tokens = tapped.subarray(width); // drop the class token
      bankRows.set(l, encodeF16Clamped(tokens));
      if (rows) shotRows(l, j).set(tokens);
      if (tapped !== out) releaseBuffer(tapped);
    }
    workMs += performance.now() - started;
    yield { shot: { ...(last ? { imageFeatures: out } : { residual: out }), zeroShotDifferences, bankRows } };
    j++;
  }
  if (j !== k) throw wrongInputs(`${j} inputs`);

  started = performance.now();
  const leaveOneOut = new Map<number, Float32Array>();
  if (k > 1 && fewShot.length > 0) {
    for (const l of fewShot) leaveOneOut.set(l, new Float32Array(k * patches).fill(Infinity));
    // Shot j against each other shot i alone, a running minimum over i: the same distances as against the bank of the
    // others in one search, while the head holds [G², G²] similarities at a time.
    for (let q = 0; q < k; q++) {
      for (let i = 0; i < k; i++) {
        if (i === q) continue;
        const d = await fewShotDistances(
          bundle,
          fewShot.map((l) => shotRows(l, q)),
          fewShot.map((l) => shotRows(l, i)),
          stageHeadChunkRows(patches),
        );
        for (const [n, l] of fewShot.entries()) {
          const best = leaveOneOut.get(l)!.subarray(q * patches, (q + 1) * patches);
          const dl = d[n]!;
          for (let p = 0; p < patches; p++) if (dl[p]! < best[p]!) best[p] = dl[p]!;
        }
      }
    }
  }
  if (rows) releaseBuffer(rows); // k shots' float32 rows (ViT-L-14-336 at 518, k = 4: 21.4 MiB)
  workMs += performance.now() - started;
  yield { end: { leaveOneOutDistances: leaveOneOut, workMs } };
}
