// POST /v1/jobs queues a scoring job whose result goes to a signed webhook; GET /v1/jobs/{id} reports on it.
import { defineRoute, type Route } from "../openapi/route";
import { readBody, validate } from "../request";
import { scoreInputOf } from "../score-fields";
import { createJobJson, createJobMultipart, jobAccepted, jobParams, jobSchema } from "../schemas/jobs";

const tags = ["jobs"];

const createJob = defineRoute(
  {
    method: "post",
    path: "/v1/jobs",
    operationId: "createJob",
    summary: "Score an image asynchronously; the result is POSTed to a signed webhook",
    description:
      "Takes POST /v1/score's fields (JSON with a base64 image, or multipart with the image as a file part) plus `webhookUrl`. " +
      "Checks everything POST /v1/score would check up front (and the webhook URL: https, public host), stores the image and queues the job. " +
      "The webhook follows Standard Webhooks: webhook-id / webhook-timestamp / webhook-signature, signed with GET /v1/webhook-secret.",
    tags,
    auth: true,
    body: { json: createJobJson, multipart: createJobMultipart },
    responses: { 202: { description: "Queued; poll GET /v1/jobs/{id} or wait for the webhook", schema: jobAccepted } },
    errors: [404, 503],
  },
  async (c) => {
    const body = await readBody(c, { json: createJobJson, multipart: createJobMultipart });
    const accepted = await c.var.services.createJob(c.get("tenant"), { ...scoreInputOf(body), webhookUrl: body.data.webhookUrl });
    c.header("location", `/v1/jobs/${accepted.id}`);
    return c.json(accepted, 202);
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
    const { id } = validate(jobParams, c.req.param(), "path");
    return c.json(await c.var.services.getJob(c.get("tenant"), id));
  },
);

export const jobRoutes: readonly Route[] = [createJob, getJob];
