// One image-tower stage of a staged int8-dynamic bundle on the engine's kernels: its block range, from its stage
// graph's weights, giving the stage graph's named outputs. Pure: the kernel modules come from the caller.
import { imageGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import type { StageGraph } from "../staging/stage-graph";
import { WasmImageEncoder } from "./image-encoder";
import { type GemmKind, Int8Gemm } from "./int8-gemm";
import type { KernelModules } from "./wasm-image-tower";

export interface WasmStageGraph extends StageGraph {
  readonly encoder: WasmImageEncoder;
}

/** Packs stage `index`'s weights into fresh kernel memory once (the stage's files are read, packed, then released). */
export async function createWasmStageGraph(bundle: ModelBundle, index: number, modules: KernelModules, prefer: GemmKind = "relaxed"): Promise<WasmStageGraph> {
  const stage = bundle.stages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no image-tower stage ${index}`);
  const gemm = await Int8Gemm.create(modules, prefer);
  const encoder = await bundle.withImageStageFiles(index, (graph, weights) => WasmImageEncoder.create(gemm, bundle.manifest, graph, weights, stage.blocks));
  const [from, to] = stage.blocks;
  const last = to === bundle.manifest.architecture.vision.layers;
  return {
    encoder,
    async run(input, wanted) {
      const names = new Set(wanted);
      const layers = [...names].filter((n) => n.startsWith("tokens_layer") || n.startsWith("projected_layer"));
      const out = encoder.run(input, {
        tokens: layers.some((n) => n.startsWith("tokens_layer")),
        projected: layers.some((n) => n.startsWith("projected_layer")),
      });
      const named: Record<string, Float32Array> = {};
      if (last) named[imageGraphNames.features] = out.imageFeatures!;
      else named[imageGraphNames.residual(to)] = out.residual!;
      for (const [l, t] of out.tokens) named[imageGraphNames.tokens(l)] = t;
      for (const [l, p] of out.projected) named[imageGraphNames.projected(l)] = p;
      for (const n of names) {
        if (!(n in named)) throw new BundleError("bundle_invalid", `image stage ${index} (blocks ${from}-${to}) has no output ${n}`);
      }
      return named;
    },
  };
}
