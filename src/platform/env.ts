// The worker's bindings, as declared in wrangler.toml.
import type { KVNamespace, Queue, R2Bucket } from "@cloudflare/workers-types";
import type { JobMessage } from "../usecases/jobs/job";
import type { ImageStageRpc } from "./stage-wire";

export interface Env {
  /** Model bundles, one folder per model: models/<name>/manifest.json, image.onnx, ... */
  MODELS: R2Bucket;
  /** Prompt-ensemble text features per model, object and prompt set. */
  TEXT_FEATURES: KVNamespace;
  /** The bundle served by this worker (folder name under models/). */
  MODEL_NAME: string;
  /** Where the image tower runs: "auto" (default: the engine for int8-dynamic bundles, else onnxruntime-web), "ort" or "wasm" (src/composition/image-engine.ts). */
  ENGINE?: string;
  /** Reference sets per tenant: manifests, original shots, features per model (src/platform/r2-reference-sets.ts). */
  REFERENCE_SETS: R2Bucket;
  /** API keys: `key/<sha256 hex of the key>` -> {"tenant": "..."} (src/platform/kv-api-keys.ts). */
  TENANT_KEYS: KVNamespace;
  /** Bootstrap keys (a secret): "tenant:key,tenant2:sha256:<hex>" (src/usecases/api-keys.ts). */
  API_KEYS?: string;
  /** Largest request body in bytes (default 20 MiB), checked before the body is read. */
  MAX_BODY_BYTES?: string;
  /** Seconds a request body may go without data before 408 request_timeout (default 10). */
  BODY_IDLE_TIMEOUT_SECONDS?: string;
  /** Seconds a whole request body may take before 408 request_timeout (default 60). */
  BODY_DEADLINE_SECONDS?: string;
  /** Model requests (score, set create/re-embed) admitted per isolate, the running one included (default 8); more: 503 overloaded. */
  ADMISSION_MAX_REQUESTS?: string;
  /** Body bytes of the admitted model requests + the running one's decode reserve, per isolate (default 64 MiB); more: 503 overloaded. */
  ADMISSION_MAX_BYTES?: string;
  /** Bytes per pixel of MAX_IMAGE_PIXELS reserved in ADMISSION_MAX_BYTES for the running request's decode (default 8). */
  ADMISSION_DECODE_BYTES_PER_PIXEL?: string;
  /** Largest image in pixels, width * height (default 4 MiP), checked from the header before decoding. */
  MAX_IMAGE_PIXELS?: string;
  /** Async jobs: jobs/<tenant>/<id>/{job.json,image,result.json}, webhook-secrets/<tenant>.json (src/platform/r2-job-store.ts). */
  JOBS: R2Bucket;
  /** The job queue's producer; its consumer is the `queue` export of src/worker.ts. */
  JOBS_QUEUE: Queue<JobMessage>;
  /** The name of the job queue's dead-letter queue (also consumed by this worker: it marks jobs dead_lettered). */
  JOBS_DEAD_LETTER_QUEUE: string;
  /** "true" in local development and tests only: webhooks may be http and target private or loopback hosts. */
  ALLOW_PRIVATE_WEBHOOKS?: string;
  /** DNS-over-HTTPS JSON endpoint that webhook hosts are resolved with (default https://cloudflare-dns.com/dns-query). */
  WEBHOOK_DNS_RESOLVER?: string;
  /** First retry delay of a job in seconds, doubled per attempt (default 30; src/usecases/jobs/backoff.ts). */
  WEBHOOK_BACKOFF_BASE_SECONDS?: string;
  /** A consumer's lease on a job in seconds (default 120); the reconciler re-enqueues a job that late (src/usecases/recovery/). */
  JOB_LEASE_SECONDS?: string;
  /** Age in seconds after which the reconciler removes a write a crash left without its manifest (default 3600). */
  UPLOAD_GRACE_SECONDS?: string;
  /**
   * A staged bundle's image-tower stages: STAGE_0, STAGE_1, ... service bindings to the stage Workers' ImageStage
   * entrypoint (README "Stages"); the front refuses a staged bundle with one missing (503 stage_unavailable).
   */
  [stage: `STAGE_${number}`]: ImageStageRpc | undefined;
}
