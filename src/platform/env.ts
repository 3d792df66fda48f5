// The worker's bindings, as declared in wrangler.toml.
import type { KVNamespace, R2Bucket } from "@cloudflare/workers-types";

export interface Env {
  /** Model bundles, one folder per model: models/<name>/manifest.json, image.onnx, ... */
  MODELS: R2Bucket;
  /** Prompt-ensemble text features per model, object and prompt set. */
  TEXT_FEATURES: KVNamespace;
  /** The bundle served by this worker (folder name under models/). */
  MODEL_NAME: string;
}
