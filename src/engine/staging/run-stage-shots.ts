// One image-tower stage run on every shot of a reference set: its graph shot by shot, then its layers' reductions
// (zero-shot logit differences, leave-one-out few-shot distances, bank rows in the stored dtype) where the tokens are.
import { zeroShotLogitDifference } from "../anomaly/zero-shot";
import { encodeF16Clamped } from "../../shared/float16";
import { fewShotDistances } from "../runtime/clip-encoders";
import { imageGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import { stageLayers } from "./run-stage";
import { ortStageGraph, type StageGraph } from "./stage-graph";
import type { StageShotsCall, StageShotsReply } from "./stage-port";

export async function runImageStageShots(
  bundle: ModelBundle,
  index: number,
  call: StageShotsCall,
  graph: StageGraph = ortStageGraph(bundle, index),
): Promise<StageShotsReply> {
  const start = performance.now();
  const stage = bundle.stages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no image-tower stage ${index}`);
  const m = bundle.manifest;
  const width = m.architecture.vision.width;
  const embedDim = m.architecture.embedDim;
  const patches = m.grid * m.grid;
  const last = stage.blocks[1] === m.architecture.vision.layers;
  const zeroShot = stageLayers(m.layers.zeroShot, stage.blocks);
  const fewShot = stageLayers(m.layers.fewShot, stage.blocks);
  const k = call.shots;

  const dims = stage.blocks[0] === 0 ? [1, 3, m.imageSize, m.imageSize] : [1, 1 + patches, width];
  const inLength = dims.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(k) || k < 1 || call.input.length !== k * inLength) {
    throw new RangeError(`stage ${index} takes ${k} x [${dims.join(", ")}] (${k * inLength} values), got ${call.input.length}`);
  }
  if (call.textFeatures.length !== 2 * embedDim) throw new RangeError(`text features must be [${embedDim}, 2], got ${call.textFeatures.length} values`);

  const outName = last ? imageGraphNames.features : imageGraphNames.residual(stage.blocks[1]);
  const outLength = last ? embedDim : (1 + patches) * width;
  // A residual stream replaces the shot's own input once the stage has run on it: no second k-shot buffer.
  const out = outLength === inLength ? call.input : new Float32Array(k * outLength);
  // A few-shot layer that ends the stage taps the residual stream the stage returns (the same tensor): its rows are
  // read from `out`, neither asked of ORT a second time nor copied.
  const inOut = (l: number) => !last && l === stage.blocks[1];
  const copied = fewShot.filter((l) => !inOut(l));
  const wanted = [outName, ...zeroShot.map((l) => imageGraphNames.projected(l)), ...copied.map((l) => imageGraphNames.tokens(l))];
  const differences = new Map(zeroShot.map((l) => [l, new Float32Array(k * patches)]));
  // Float32 patch rows of every shot, the leave-one-out search's input (the single graph calibrates on float32 too).
  const rows = new Map(copied.map((l) => [l, new Float32Array(k * patches * width)]));
  // The last stage returns only image features: its residual input buffer is free once a shot has run, and a tapped
  // layer's tokens [1 + G², W] have the same size, so one copied layer is kept there instead of a new buffer.
  const inInput = out !== call.input && stage.blocks[0] > 0 ? copied[0] : undefined;
  if (inInput !== undefined) rows.delete(inInput);
  const shotRows = (l: number, i: number) => {
    if (inOut(l)) return out.subarray(i * outLength + width, (i + 1) * outLength);
    if (l === inInput) return call.input.subarray(i * inLength + width, (i + 1) * inLength);
    return rows.get(l)!.subarray(i * patches * width, (i + 1) * patches * width);
  };

  for (let j = 0; j < k; j++) {
    const input = call.input.subarray(j * inLength, (j + 1) * inLength);
    const result = await graph.run(input, wanted);
    const get = (name: string) => {
      const t = result[name];
      if (!t) throw new BundleError("bundle_invalid", `image stage ${index} has no output ${name}`);
      return t;
    };
    out.set(get(outName), j * outLength);
    for (const l of zeroShot) differences.get(l)!.set(zeroShotLogitDifference(get(imageGraphNames.projected(l)), call.textFeatures), j * patches);
    for (const l of copied) {
      const tokens = get(imageGraphNames.tokens(l));
      if (l === inInput)
        input.set(tokens); // this shot's input has been consumed
      else rows.get(l)!.set(tokens.subarray(width), j * patches * width); // drop the class token
    }
  }

  const leaveOneOut = new Map<number, Float32Array>();
  if (k > 1 && fewShot.length > 0) {
    for (const l of fewShot) leaveOneOut.set(l, new Float32Array(k * patches).fill(Infinity));
    // Shot j against each other shot i alone, a running minimum over i: the same distances as against the bank of the
    // others in one search, while the head holds [G², G²] similarities at a time.
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < k; i++) {
        if (i === j) continue;
        const d = await fewShotDistances(
          bundle,
          fewShot.map((l) => shotRows(l, j)),
          fewShot.map((l) => shotRows(l, i)),
        );
        for (const [n, l] of fewShot.entries()) {
          const best = leaveOneOut.get(l)!.subarray(j * patches, (j + 1) * patches);
          const dl = d[n]!;
          for (let p = 0; p < patches; p++) if (dl[p]! < best[p]!) best[p] = dl[p]!;
        }
      }
    }
  }
  const banks = new Map<number, Uint16Array>();
  for (const l of fewShot) {
    const half = new Uint16Array(k * patches * width);
    for (let i = 0; i < k; i++) encodeF16Clamped(shotRows(l, i), half, i * patches * width);
    banks.set(l, half);
    rows.delete(l);
  }

  return {
    ...(last ? { imageFeatures: out } : { residuals: out }),
    zeroShotDifferences: differences,
    leaveOneOutDistances: leaveOneOut,
    banks,
    workMs: performance.now() - start,
  };
}
