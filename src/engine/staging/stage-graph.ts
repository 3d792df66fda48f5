// What runs one image-tower stage's block range: onnxruntime-web on the stage's graph, or another engine on its weights.
import { imageGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";

export interface StageGraph {
  /** The named outputs (imageGraphNames) of the stage for one input: pixels [1, 3, S, S] or a residual [1, 1 + G², W]. */
  run(input: Float32Array, wanted: readonly string[]): Promise<Readonly<Record<string, Float32Array>>>;
}

/** The input shape of stage `index`: pixels for the first stage, else the residual stream. */
export function stageInputDims(bundle: ModelBundle, index: number): number[] {
  const stage = bundle.stages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no image-tower stage ${index}`);
  const m = bundle.manifest;
  return stage.blocks[0] === 0 ? [1, 3, m.imageSize, m.imageSize] : [1, 1 + m.grid * m.grid, m.architecture.vision.width];
}

/** The stage's ONNX graph in onnxruntime-web (its session created on the first run and kept by the bundle). */
export function ortStageGraph(bundle: ModelBundle, index: number): StageGraph {
  return {
    async run(input, wanted) {
      const stage = bundle.stages?.[index];
      if (!stage) throw new BundleError("bundle_invalid", `the bundle has no image-tower stage ${index}`);
      const session = await bundle.stageSession(index);
      const out = await session.run({ [stage.inputs[0] ?? imageGraphNames.pixels]: { type: "float32", data: input, dims: stageInputDims(bundle, index) } }, [
        ...wanted,
      ]);
      const named: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(out)) named[name] = t.data;
      return named;
    },
  };
}
