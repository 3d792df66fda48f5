// Queues a scoring job: every check POST /v1/score would make up front, then the image and record, then the message.
import { assertPixelLimit, readImageInfo } from "../../engine/image/dimensions";
import { DomainError } from "../domain-error";
import type { Limits } from "../limits";
import { requireManifestFor } from "../reference-set-manifest";
import type { ReferenceSetStore } from "../reference-set-store";
import type { ScoreInput } from "../score-contract";
import { newJobId, webhookIdOf, type Job } from "./job";
import type { JobQueue, JobStore, WebhookSecretStore } from "./job-store";
import { checkWebhookHost, checkWebhookTarget, type WebhookPolicy } from "./webhook-target";

export interface CreateJobPorts {
  jobs: Pick<JobStore, "create" | "delete">;
  queue: JobQueue;
  secrets: WebhookSecretStore;
  referenceSets: Pick<ReferenceSetStore, "getManifest">;
  webhooks: WebhookPolicy;
  limits: Pick<Limits, "maxImagePixels">;
  now(): number;
}

export interface JobRequest extends ScoreInput {
  webhookUrl: string;
}

/** Throws like POST /v1/score would on the same input (image format and size from the header, no decoding). */
export async function createJob(ports: CreateJobPorts, tenant: string, request: JobRequest): Promise<{ id: string; status: "queued" }> {
  const webhookUrl = checkWebhookTarget(request.webhookUrl, ports.webhooks);
  const info = readImageInfo(request.image);
  assertPixelLimit(info.width, info.height, ports.limits.maxImagePixels);
  await checkWebhookHost(webhookUrl, ports.webhooks);
  // The set must exist and be of the same object now; one deleted later fails the job (score.failed).
  if (request.referenceSet !== undefined) await requireManifestFor(ports.referenceSets, tenant, request.referenceSet, request.object);
  // The secret exists before the first delivery, so the tenant can fetch it while the job waits.
  await ports.secrets.getOrCreate(tenant);

  const id = newJobId();
  const now = new Date(ports.now()).toISOString();
  const { object, referenceSet, map, regions, image } = request;
  const job: Job = {
    id,
    tenant,
    status: "queued",
    createdAt: now,
    updatedAt: now,
    request: { object, map, regions, webhookUrl, imageBytes: image.length, ...(referenceSet !== undefined ? { referenceSet } : {}) },
    webhookId: webhookIdOf(id),
    attempts: 0,
    deliveries: [],
  };
  await ports.jobs.create(job, image);
  try {
    await ports.queue.send({ tenant, jobId: id });
  } catch (e) {
    await ports.jobs.delete(tenant, id).catch(() => undefined);
    console.error(`job ${id}: not queued: ${(e as Error).message}`);
    throw new DomainError("unavailable", "storage_error", "the job queue is unavailable; nothing was queued, try again");
  }
  return { id, status: "queued" };
}
