// The platform adapters over one set of bindings, shared by every entry point's composition root.
import type { Env } from "../platform/env";
import type { ImageKernel } from "../engine/image/image-kernel";
import { imageKernel } from "../platform/image-wasm";
import { kvApiKeyStore } from "../platform/kv-api-keys";
import { queueJobQueue } from "../platform/queue-job-queue";
import { r2JobStore } from "../platform/r2-job-store";
import { r2ReferenceSetStore } from "../platform/r2-reference-sets";
import { r2WebhookSecretStore } from "../platform/r2-webhook-secrets";
import type { ApiKeyStore } from "../usecases/api-keys";
import type { JobQueue, JobStore, WebhookSecretStore } from "../usecases/jobs/job-store";
import type { ModelRuntime } from "../usecases/model-runtime";
import type { ReferenceSetStore } from "../usecases/reference-set-store";
import type { ScorePorts } from "../usecases/score-image";
import type { Config } from "./config";
import { modelRuntime } from "./model-runtime";

export interface Adapters {
  runtime(): Promise<ModelRuntime>;
  referenceSets: ReferenceSetStore;
  jobs: JobStore;
  jobQueue: JobQueue;
  webhookSecrets: WebhookSecretStore;
  apiKeys: ApiKeyStore;
  /** The image SIMD kernels: PNG unfiltering, the resize, the map PNG (undefined: the JS code, same bytes). */
  imageKernel: ImageKernel | undefined;
  /** Outbound HTTP (webhook deliveries, DNS-over-HTTPS). */
  fetch: typeof fetch;
  now(): number;
}

export function platformAdapters(env: Env, config: Config): Adapters {
  return {
    runtime: () => modelRuntime(env.MODELS, env.TEXT_FEATURES, config.modelName, env as unknown as Record<string, unknown>, config.engine),
    referenceSets: r2ReferenceSetStore(env.REFERENCE_SETS),
    jobs: r2JobStore(env.JOBS),
    jobQueue: queueJobQueue(env.JOBS_QUEUE),
    webhookSecrets: r2WebhookSecretStore(env.JOBS),
    apiKeys: kvApiKeyStore(env.TENANT_KEYS),
    imageKernel: imageKernel(),
    // A wrapper, not the global itself: called unbound, workerd's fetch throws "Illegal invocation".
    fetch: (input, init) => fetch(input, init),
    now: Date.now,
  };
}

export function scorePorts(adapters: Adapters, config: Config): ScorePorts {
  return { runtime: adapters.runtime, store: adapters.referenceSets, limits: config.limits, imageKernel: adapters.imageKernel };
}
