// Request and response schemas of /v1/jobs and /v1/webhook-secret.
import { z } from "zod";
import { jobStatus } from "../../usecases/jobs/job";
import { MAX_WEBHOOK_URL_LENGTH } from "../../webhooks/webhook-url";
import { scoreJsonRequest, scoreMultipartRequest, scoreResponse } from "./score";

const webhookUrl = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH)
  .describe("https URL of a public host; receives the signed score.completed / score.failed event (README, Jobs and webhooks).");

/** POST /v1/score's JSON fields (same defaults and checks) less mapResolution, plus where to POST the result. */
export const createJobJson = scoreJsonRequest.omit({ mapResolution: true }).extend({ webhookUrl });

/** POST /v1/score's multipart fields (the image as a file part) less mapResolution, plus `webhookUrl` as a field. */
export const createJobMultipart = scoreMultipartRequest.omit({ mapResolution: true }).extend({ webhookUrl });

export const jobParams = z.object({ id: z.string().describe("Job id (job_...).") });

export const jobAccepted = z.object({ id: z.string(), status: z.literal("queued") });

const jobErrorSchema = z.object({ code: z.string(), message: z.string() });

export const jobSchema = z.object({
  id: z.string(),
  status: jobStatus.describe(
    "queued, running, succeeded (scored), failed (scoring refused the input), delivered (webhook answered 2xx), dead_lettered (retries exhausted).",
  ),
  object: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  webhookUrl: z.string(),
  webhookId: z.string().describe("The webhook-id header of every delivery attempt of this job: deduplicate on it."),
  attempts: z.number().int().describe("Webhook POSTs tried so far."),
  deliveries: z
    .array(z.object({ attempt: z.number().int(), at: z.string(), status: z.number().int().optional(), error: z.string().optional(), ms: z.number() }))
    .describe("The latest delivery attempts (at most 10)."),
  deliveredAt: z.string().optional(),
  deliveryError: z.string().optional().describe("Why the last delivery failed, or why the job was dead-lettered."),
  error: jobErrorSchema.optional().describe("Scoring's error: final when status is failed; the last transient one while queued."),
  result: scoreResponse.optional().describe("The POST /v1/score answer, once scored."),
});

export const webhookSecretSchema = z.object({
  secret: z.string().describe("whsec_ + base64; the HMAC-SHA256 key is the base64-decoded part after the prefix."),
  scheme: z.literal("standard-webhooks"),
});
