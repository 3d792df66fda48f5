// What one image-tower stage takes and gives, from the manifest alone: its input and output, the layers it taps, and
// where a few-shot layer's rows are read from. The score path, the shots path and the wire all use this one layout.
import { imageGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import { stageInputDims } from "./stage-graph";

/** The layers whose taps a stage covering blocks [from, to) outputs: blocks are 0-indexed, layers 1-indexed. */
export function stageLayers(layers: readonly number[], [from, to]: readonly [number, number]): number[] {
  return layers.filter((l) => l > from && l <= to);
}

export interface ImageStageLayout {
  index: number;
  /** The input's dims ([1, 3, S, S] or [1, 1 + G², W]) and value count. */
  inputDims: number[];
  inputValues: number;
  /** The last stage returns image features [E], the others the residual stream [1 + G², W]. */
  last: boolean;
  outputName: string;
  outputValues: number;
  /** The stage's zero-shot and few-shot layers, in the manifest's order. */
  zeroShot: number[];
  fewShot: number[];
  patches: number;
  width: number;
  /**
   * The output a few-shot layer's rows are read from: a layer that ends the stage is the residual stream the stage
   * returns (the same tensor; asking ORT for its tap too would hold a second copy), any other its tap.
   */
  fewShotTap(layer: number): string;
}

export function imageStageLayout(bundle: ModelBundle, index: number): ImageStageLayout {
  const stage = bundle.stages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no image-tower stage ${index}`);
  const m = bundle.manifest;
  const width = m.architecture.vision.width;
  const patches = m.grid * m.grid;
  const end = stage.blocks[1];
  const last = end === m.architecture.vision.layers;
  const inputDims = stageInputDims(bundle, index);
  return {
    index,
    inputDims,
    inputValues: inputDims.reduce((a, b) => a * b, 1),
    last,
    outputName: last ? imageGraphNames.features : imageGraphNames.residual(end),
    outputValues: last ? m.architecture.embedDim : (1 + patches) * width,
    zeroShot: stageLayers(m.layers.zeroShot, stage.blocks),
    fewShot: stageLayers(m.layers.fewShot, stage.blocks),
    patches,
    width,
    fewShotTap: (l) => (!last && l === end ? imageGraphNames.residual(l) : imageGraphNames.tokens(l)),
  };
}
