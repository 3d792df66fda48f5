// One model per isolate, opened lazily from R2 and kept; text features cached in KV; a staged bundle's image tower in
// the stage Workers behind the STAGE_<i> service bindings, its text tower (when staged) behind TEXT_STAGE_<i>.
import type { KVNamespace, R2Bucket } from "@cloudflare/workers-types";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { imageStageLayout } from "../engine/staging/image-stage-layout";
import { stagedTower } from "../engine/staging/staged-tower";
import { kvTextFeatureCache } from "../platform/kv-text-features";
import { r2BundleReader } from "../platform/r2-bundle-reader";
import { serviceBindingStageRunner } from "../platform/service-binding-stages";
import { serviceBindingTextStageRunner } from "../platform/service-binding-text-stages";
import { encodeTextsInStages } from "../engine/staging/staged-text";
import { ModelRuntime } from "../usecases/model-runtime";
import { createWasmImageEncoder, wasmImageTower } from "../engine/wasm/wasm-image-tower";
import { engineKernelModules, trackEngine } from "../platform/engine-wasm";
import { type EngineSetting, imageEngineFor } from "./image-engine";

const runtimes = new Map<string, Promise<ModelRuntime>>();

/**
 * The isolate's runtime for `name`; a failed open is forgotten so the next request retries. `stageBindings`: where
 * STAGE_<i> are looked up for a staged bundle (a missing one fails the open with stage_unavailable). `engine` (resolved
 * by imageEngineFor on the bundle's scheme) "wasm": the image tower of a single-graph int8-dynamic bundle on the
 * engine's kernels (the text tower and few-shot head stay in onnxruntime-web); a staged bundle's blocks run in its
 * stage Workers, each on its own ENGINE.
 */
export function modelRuntime(
  models: R2Bucket,
  textFeatures: KVNamespace,
  name: string,
  stageBindings: Readonly<Record<string, unknown>> = {},
  engine: EngineSetting = "auto",
): Promise<ModelRuntime> {
  const key = `${engine}:${name}`;
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = ModelBundle.open(r2BundleReader(models, name)).then(async (bundle) => {
      const size = 2 * bundle.manifest.architecture.embedDim;
      const cache = kvTextFeatureCache(textFeatures, size);
      // A staged bundle's blocks run in the stage Workers, each with its own ENGINE var.
      if (imageEngineFor(engine, bundle.manifest.quantization) === "wasm" && !bundle.stages) {
        const encoder = await createWasmImageEncoder(bundle, engineKernelModules());
        trackEngine(encoder);
        return new ModelRuntime(bundle, cache, wasmImageTower(bundle, encoder));
      }
      if (!bundle.stages) return new ModelRuntime(bundle, cache);
      const m = bundle.manifest;
      const runner = serviceBindingStageRunner(stageBindings, bundle.stages.length, m.modelHash, name, (i) => imageStageLayout(bundle, i));
      const textStages = bundle.textStages;
      if (!textStages) return new ModelRuntime(bundle, cache, stagedTower(bundle, runner));
      const textRunner = serviceBindingTextStageRunner(stageBindings, textStages.length, m.modelHash, name, {
        width: m.architecture.text.width,
        embedDim: m.architecture.embedDim,
      });
      return new ModelRuntime(bundle, cache, stagedTower(bundle, runner), (ids) =>
        encodeTextsInStages(textRunner, ids, m.architecture.text.contextLength, m.architecture.embedDim),
      );
    });
    runtimes.set(key, runtime);
    runtime.catch(() => runtimes.delete(key));
  }
  return runtime;
}
