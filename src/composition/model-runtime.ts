// One model per isolate, opened lazily from R2 and kept; text features cached in KV.
import type { KVNamespace, R2Bucket } from "@cloudflare/workers-types";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { kvTextFeatureCache } from "../platform/kv-text-features";
import { r2BundleReader } from "../platform/r2-bundle-reader";
import { ModelRuntime } from "../usecases/model-runtime";

const runtimes = new Map<string, Promise<ModelRuntime>>();

/** The isolate's runtime for `name`; a failed open is forgotten so the next request retries. */
export function modelRuntime(models: R2Bucket, textFeatures: KVNamespace, name: string): Promise<ModelRuntime> {
  let runtime = runtimes.get(name);
  if (!runtime) {
    runtime = ModelBundle.open(r2BundleReader(models, name)).then((bundle) => {
      const size = 2 * bundle.manifest.architecture.embedDim;
      return new ModelRuntime(bundle, kvTextFeatureCache(textFeatures, size));
    });
    runtimes.set(name, runtime);
    runtime.catch(() => runtimes.delete(name));
  }
  return runtime;
}
