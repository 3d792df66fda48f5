// The fetch entry point's composition root: each use case bound to the adapters over the request's bindings.
import type { Hono } from "hono";
import type { Env } from "../platform/env";
import { createApp } from "../service/app";
import type { AppEnv } from "../service/app-env";
import type { AppServices } from "../service/app-services";
import { authenticate } from "../usecases/api-keys";
import { createJob } from "../usecases/jobs/create-job";
import { getJob } from "../usecases/jobs/get-job";
import { createReferenceSet, deleteReferenceSet, getReferenceSet, listReferenceSets, reembedReferenceSetById } from "../usecases/reference-sets";
import type { ReferenceSetContext } from "../usecases/few-shot-reference";
import { scoreImage } from "../usecases/score-image";
import { serviceStatus } from "../usecases/service-status";
import { resolvePublicHost } from "../webhooks/resolve-host";
import { platformAdapters, scorePorts } from "./adapters";
import { readConfig } from "./config";
import { isolateAdmission } from "./isolate-admission";

export function appServices(env: Env): AppServices {
  const config = readConfig(env);
  const a = platformAdapters(env, config);
  const storage = { store: a.referenceSets };
  const withModel = async (): Promise<ReferenceSetContext> => ({
    runtime: await a.runtime(),
    store: a.referenceSets,
    limits: config.limits,
    imageKernel: a.imageKernel,
  });
  const createJobPorts = {
    jobs: a.jobs,
    queue: a.jobQueue,
    secrets: a.webhookSecrets,
    referenceSets: a.referenceSets,
    webhooks: { allowPrivate: config.allowPrivateWebhooks, resolveHost: (host: string) => resolvePublicHost(host, a.fetch, config.dohUrl) },
    limits: config.limits,
    now: a.now,
  };
  return {
    limits: config.limits,
    authenticate: (key) => authenticate(key, config.bootstrapApiKeys, a.apiKeys),
    serviceStatus: () => serviceStatus(a.runtime, config.limits),
    scoreImage: (tenant, input) => scoreImage(scorePorts(a, config), tenant, input),
    createReferenceSet: async (tenant, input) => createReferenceSet(await withModel(), tenant, input),
    // List and delete need no model: they keep working while the model is unavailable.
    listReferenceSets: (tenant, page) => listReferenceSets(storage, tenant, page),
    getReferenceSet: async (tenant, id) => getReferenceSet(await withModel(), tenant, id),
    deleteReferenceSet: (tenant, id) => deleteReferenceSet(storage, tenant, id),
    reembedReferenceSet: async (tenant, id) => reembedReferenceSetById(await withModel(), tenant, id),
    createJob: (tenant, request) => createJob(createJobPorts, tenant, request),
    getJob: (tenant, id) => getJob(a.jobs, tenant, id),
    webhookSecret: (tenant) => a.webhookSecrets.getOrCreate(tenant),
  };
}

const services = new WeakMap<object, AppServices>();

/** Built once per bindings object (workerd passes the same one to every request of an isolate). */
function servicesOf(bindings: unknown): AppServices {
  const env = bindings as Env;
  let built = services.get(env);
  if (!built) {
    built = appServices(env);
    services.set(env, built);
  }
  return built;
}

/** The HTTP API over the worker's bindings. */
export function createWorkerApp(): Hono<AppEnv> {
  return createApp({ services: servicesOf, admission: isolateAdmission });
}
