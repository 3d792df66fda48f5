// POST /v1/jobs queues a scoring job whose result goes to a signed webhook; GET /v1/jobs/{id} reports on it.
import { r2JobStore } from "../../platform/r2-job-store";
import { r2WebhookSecretStore } from "../../platform/r2-webhook-secrets";
import { referenceSetStorage } from "../../usecases/context";
import { isJobId, newJobId, webhookIdOf, type Job } from "../../usecases/jobs/job";
import { limitsOf } from "../../usecases/limits";
import { ApiError } from "../errors";
import { defineRoute, type Route } from "../openapi/route";
import { readBody, validate } from "../request";
import { createJobRequest, jobAccepted, jobParams, jobSchema, type CreateJobRequest } from "../schemas/jobs";
import { allowPrivateWebhooks, checkJobRequest, checkReferenceSet, checkWebhookHost } from "./job-request";

const tags = ["jobs"];

const createJob = defineRoute(
  {
    method: "post",
    path: "/v1/jobs",
    operationId: "createJob",
    summary: "Score an image asynchronously; the result is POSTed to a signed webhook",
    description:
      "Checks everything POST /v1/score would check up front (and the webhook URL: https, public host), stores the image and queues the job. " +
      "The webhook follows Standard Webhooks: webhook-id / webhook-timestamp / webhook-signature, signed with GET /v1/webhook-secret.",
    tags,
    auth: true,
    body: { json: createJobRequest },
    responses: { 202: { description: "Queued; poll GET /v1/jobs/{id} or wait for the webhook", schema: jobAccepted } },
    errors: [404, 503],
  },
  async (c) => {
    const tenant = c.get("tenant");
    const body = await readBody<CreateJobRequest, never>(c, { json: createJobRequest });
    const { input, webhookUrl } = checkJobRequest(body.data, limitsOf(c.env), allowPrivateWebhooks(c.env));
    await checkWebhookHost(webhookUrl, c.env);
    await checkReferenceSet(referenceSetStorage(c.env).store, tenant, input);
    // The secret exists before the first delivery, so the tenant can fetch it while the job waits.
    await r2WebhookSecretStore(c.env.JOBS).getOrCreate(tenant);
    const id = newJobId();
    const now = new Date().toISOString();
    const { object, referenceSet, map, regions } = input;
    const job: Job = {
      id,
      tenant,
      status: "queued",
      createdAt: now,
      updatedAt: now,
      request: { object, map, regions, webhookUrl, imageBytes: input.image.length, ...(referenceSet !== undefined ? { referenceSet } : {}) },
      webhookId: webhookIdOf(id),
      attempts: 0,
      deliveries: [],
    };
    const store = r2JobStore(c.env.JOBS);
    await store.create(job, input.image);
    try {
      // Ids only: the image stays in R2 (a queue message is limited to 128 KB).
      await c.env.JOBS_QUEUE.send({ tenant, jobId: id }, { contentType: "json" });
    } catch (e) {
      await store.delete(tenant, id).catch(() => undefined);
      console.error(`job ${id}: not queued: ${(e as Error).message}`);
      throw new ApiError(503, "storage_error", "the job queue is unavailable; nothing was queued, try again");
    }
    c.header("location", `/v1/jobs/${id}`);
    return c.json({ id, status: "queued" as const }, 202);
  },
);

const getJob = defineRoute(
  {
    method: "get",
    path: "/v1/jobs/{id}",
    operationId: "getJob",
    summary: "A job's status, delivery attempts and result",
    tags,
    auth: true,
    params: jobParams,
    responses: { 200: { description: "The job", schema: jobSchema } },
  },
  async (c) => {
    const tenant = c.get("tenant");
    const { id } = validate(jobParams, c.req.param(), "path");
    const store = r2JobStore(c.env.JOBS);
    const found = isJobId(id) ? await store.get(tenant, id) : undefined;
    // The store is keyed by tenant; the check on the record is belt and braces. Another tenant's job reads as missing.
    if (!found || found.job.tenant !== tenant) throw new ApiError(404, "not_found", `no job ${id}`);
    const { job } = found;
    const scored = job.status === "succeeded" || job.status === "delivered" || job.status === "dead_lettered";
    const result = scored && !job.error ? await store.result(tenant, id) : undefined;
    return c.json({
      id: job.id,
      status: job.status,
      object: job.request.object,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      webhookUrl: job.request.webhookUrl,
      webhookId: job.webhookId,
      attempts: job.attempts,
      deliveries: job.deliveries,
      ...(job.deliveredAt ? { deliveredAt: job.deliveredAt } : {}),
      ...(job.deliveryError ? { deliveryError: job.deliveryError } : {}),
      ...(job.error ? { error: job.error } : {}),
      ...(result ? { result } : {}),
    });
  },
);

export const jobRoutes: readonly Route[] = [createJob, getJob];
