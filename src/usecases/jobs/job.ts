// An asynchronous scoring job as stored (zod-checked on every read) and the queue message that names it.
import { z } from "zod";

/** What the queue carries: ids only. The image stays in R2 (a queue message is limited to 128 KB). */
export const jobMessage = z.object({
  tenant: z.string().min(1),
  jobId: z.string().min(1),
  /** The job's `dispatch` when the reconciler re-enqueued it (absent: the first message); an older one is stale. */
  dispatch: z.number().int().nonnegative().optional(),
});
export type JobMessage = z.infer<typeof jobMessage>;

/**
 * queued -> running -> succeeded (scored) or failed (a client error, e.g. an undecodable image) -> delivered (the
 * webhook got a 2xx); dead_lettered when the queue gave up (max_retries in wrangler.toml) before a delivery.
 */
export const jobStatus = z.enum(["queued", "running", "succeeded", "failed", "delivered", "dead_lettered"]);
export type JobStatus = z.infer<typeof jobStatus>;

const jobError = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof jobError>;

const deliveryAttempt = z.object({
  attempt: z.number().int().positive(),
  at: z.string(),
  /** The receiver's HTTP status; absent when no response came (timeout, connection error). */
  status: z.number().int().optional(),
  error: z.string().optional(),
  ms: z.number(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttempt>;

export const jobRecord = z.object({
  id: z.string(),
  tenant: z.string(),
  status: jobStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  request: z.object({
    object: z.string(),
    referenceSet: z.string().optional(),
    map: z.enum(["png", "none"]),
    regions: z.boolean(),
    webhookUrl: z.string(),
    imageBytes: z.number().int().nonnegative(),
  }),
  /** The Standard Webhooks `webhook-id`: one per job, the same on every retry (the receiver's idempotency key). */
  webhookId: z.string(),
  /** Scoring's error: final with status failed, the last transient one while status is queued. */
  error: jobError.optional(),
  /** Webhook POSTs tried so far. */
  attempts: z.number().int().nonnegative(),
  /** The latest delivery attempts, oldest first (at most MAX_DELIVERY_LOG). */
  deliveries: z.array(deliveryAttempt),
  deliveredAt: z.string().optional(),
  deliveryError: z.string().optional(),
  /** A consumer is working on the job until then (ISO time); a duplicate message backs off meanwhile. */
  leaseUntil: z.string().optional(),
  /** When the next attempt is due (ISO time), set with every retry the consumer schedules: the reconciler's clock. */
  nextAttemptAt: z.string().optional(),
  /** How many times the reconciler re-enqueued the job; messages carrying a smaller number are dropped (stale). */
  dispatch: z.number().int().nonnegative().optional(),
});
export type Job = z.infer<typeof jobRecord>;

export const MAX_DELIVERY_LOG = 10;

const JOB_ID = /^job_[0-9a-f]{32}$/;

export function newJobId(): string {
  return `job_${crypto.randomUUID().replaceAll("-", "")}`;
}

export function isJobId(id: string): boolean {
  return JOB_ID.test(id);
}

/** `msg_` + the job id's random part: stable for the job's one event. */
export function webhookIdOf(jobId: string): string {
  return `msg_${jobId.slice("job_".length)}`;
}

/** Delivered and dead-lettered jobs never POST again. */
export function isFinal(status: JobStatus): boolean {
  return status === "delivered" || status === "dead_lettered";
}
