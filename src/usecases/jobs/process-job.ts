// One queue message of the job queue: claim the job, score it once, POST the signed webhook, and say ack or retry.
import { failureOf } from "../domain-error";
import type { ScoreImage, ScoreResult } from "../score-contract";
import { backoffSeconds, MAX_DELIVERY_ATTEMPTS } from "./backoff";
import { deliverWebhook, type WebhookEvent } from "./deliver-webhook";
import { isFinal, MAX_DELIVERY_LOG, type Job, type JobMessage } from "./job";
import type { JobStore, WebhookSecretStore } from "./job-store";

export interface JobDeps {
  store: JobStore;
  secrets: WebhookSecretStore;
  scoreImage: ScoreImage;
  fetch: typeof fetch;
  now: () => number;
  backoffBaseSeconds: number;
  /** The lease a consumer takes on a job (default LEASE_MS); the reconciler waits as long again before re-enqueueing. */
  leaseMs?: number;
  /**
   * Waits for the isolate's model queue (shared with HTTP model requests, first come first served) and returns its
   * release: a job reads its image and runs the model only at its turn. Absent: no queue to share.
   */
  modelTurn?: () => Promise<() => void>;
}

export type MessageAction = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

/** Longer than scoring plus one webhook timeout: while it runs, a duplicate of the message waits instead of working too. */
export const LEASE_MS = 120_000;
/** Delay after losing a compare-and-swap to a concurrent consumer: the next attempt re-reads the job. */
const CONFLICT_DELAY_SECONDS = 5;

const ACK: MessageAction = { kind: "ack" };

export async function processJob(message: { body: JobMessage; attempts: number }, deps: JobDeps): Promise<MessageAction> {
  const { tenant, jobId } = message.body;
  const found = await deps.store.get(tenant, jobId);
  if (!found) {
    console.warn(`job ${jobId} of ${tenant}: no record, message dropped`);
    return ACK;
  }
  // A redelivered message of a delivered job ends here: no second POST.
  if (isFinal(found.job.status)) return ACK;
  // The reconciler re-enqueued the job since this message was sent: the newer message carries on alone.
  if ((message.body.dispatch ?? 0) < (found.job.dispatch ?? 0)) return ACK;
  const now = deps.now();
  const leaseMs = deps.leaseMs ?? LEASE_MS;
  const lease = found.job.leaseUntil ? Date.parse(found.job.leaseUntil) : 0;
  if (lease > now) return { kind: "retry", delaySeconds: Math.ceil((lease - now) / 1000) };

  const retryLater: MessageAction = { kind: "retry", delaySeconds: backoffSeconds(message.attempts, deps.backoffBaseSeconds) };
  const claimed = found.job.status === "queued" ? "running" : found.job.status;
  let job: Job = { ...found.job, status: claimed, leaseUntil: iso(now + leaseMs), nextAttemptAt: undefined, updatedAt: iso(now) };
  let version = await deps.store.replace(job, found.version);
  if (!version) return { kind: "retry", delaySeconds: CONFLICT_DELAY_SECONDS };

  let result: ScoreResult | undefined;
  if (job.status === "running") {
    const scored = await score(job, deps);
    if (scored.kind === "transient") {
      const at = deps.now();
      const nextAttemptAt = iso(at + retryLater.delaySeconds * 1000);
      const saved = await deps.store.replace(
        { ...job, status: "queued", error: scored.error, leaseUntil: undefined, nextAttemptAt, updatedAt: iso(at) },
        version,
      );
      return saved ? retryLater : { kind: "retry", delaySeconds: CONFLICT_DELAY_SECONDS };
    }
    if (scored.kind === "scored") {
      result = scored.result;
      await deps.store.putResult(tenant, jobId, result);
      job = { ...job, status: "succeeded", error: undefined, updatedAt: iso(deps.now()) };
    } else {
      job = { ...job, status: "failed", error: scored.error, updatedAt: iso(deps.now()) };
    }
    version = await deps.store.replace(job, version);
    if (!version) return { kind: "retry", delaySeconds: CONFLICT_DELAY_SECONDS };
  }

  const event = await webhookEvent(job, result, deps.store);
  const outcome = await deliverWebhook(deps.fetch, {
    url: job.request.webhookUrl,
    secret: await deps.secrets.getOrCreate(tenant),
    webhookId: job.webhookId,
    event,
    timestamp: Math.floor(deps.now() / 1000),
  });
  const attempts = job.attempts + 1;
  const at = iso(deps.now());
  const entry = { attempt: attempts, at, status: outcome.status, error: outcome.error, ms: outcome.ms };
  const deliveries = [...job.deliveries, entry].slice(-MAX_DELIVERY_LOG);
  // The schedule follows the job's own count, so a message re-enqueued by the reconciler resumes it where it stopped.
  const delaySeconds = backoffSeconds(Math.max(message.attempts, attempts), deps.backoffBaseSeconds);
  // The queue dead-letters after its own max_retries; a re-enqueued message's count started again, so the job's caps it.
  const exhausted = !outcome.ok && attempts >= MAX_DELIVERY_ATTEMPTS && attempts > message.attempts;
  const next: Job = outcome.ok
    ? { ...job, status: "delivered", attempts, deliveries, deliveredAt: at, deliveryError: undefined, leaseUntil: undefined, updatedAt: at }
    : exhausted
      ? {
          ...job,
          status: "dead_lettered",
          attempts,
          deliveries,
          deliveryError: undeliveredError(attempts, outcome.error),
          leaseUntil: undefined,
          updatedAt: at,
        }
      : {
          ...job,
          attempts,
          deliveries,
          deliveryError: outcome.error,
          leaseUntil: undefined,
          nextAttemptAt: iso(deps.now() + delaySeconds * 1000),
          updatedAt: at,
        };
  if (!(await deps.store.replace(next, version))) {
    console.error(`job ${jobId}: lease lost during delivery attempt ${attempts} (${outcome.ok ? "delivered" : outcome.error})`);
  }
  return outcome.ok || exhausted ? ACK : { kind: "retry", delaySeconds };
}

export function undeliveredError(attempts: number, lastError: string | undefined): string {
  const reason = `webhook not delivered after ${attempts} attempts`;
  return lastError ? `${reason}; last error: ${lastError}` : reason;
}

/** A message the queue gave up on (it arrived on the dead-letter queue): the job says so and is never retried. */
export async function deadLetterJob(message: { body: JobMessage }, deps: JobDeps): Promise<MessageAction> {
  const { tenant, jobId } = message.body;
  const found = await deps.store.get(tenant, jobId);
  if (!found || isFinal(found.job.status)) return ACK;
  if ((message.body.dispatch ?? 0) < (found.job.dispatch ?? 0)) return ACK;
  const { job } = found;
  const reason = job.status === "queued" || job.status === "running" ? "scoring did not succeed" : `webhook not delivered after ${job.attempts} attempts`;
  const last = job.deliveryError ?? job.error?.message;
  const at = iso(deps.now());
  const next: Job = { ...job, status: "dead_lettered", deliveryError: last ? `${reason}; last error: ${last}` : reason, leaseUntil: undefined, updatedAt: at };
  return (await deps.store.replace(next, found.version)) ? ACK : { kind: "retry", delaySeconds: CONFLICT_DELAY_SECONDS };
}

type Scored = { kind: "scored"; result: ScoreResult } | { kind: "rejected" | "transient"; error: { code: string; message: string } };

/** Rejections (the upload or the reference set is bad) are final; anything else may pass on a retry. */
async function score(job: Job, deps: JobDeps): Promise<Scored> {
  const release = await deps.modelTurn?.();
  try {
    return await scoreInTurn(job, deps);
  } finally {
    release?.();
  }
}

async function scoreInTurn(job: Job, deps: JobDeps): Promise<Scored> {
  const image = await deps.store.image(job.tenant, job.id);
  if (!image) return { kind: "rejected", error: { code: "not_found", message: "the job's image is gone" } };
  const { object, referenceSet, map, regions } = job.request;
  try {
    const result = await deps.scoreImage(job.tenant, { object, image, map, regions, ...(referenceSet ? { referenceSet } : {}) });
    return { kind: "scored", result };
  } catch (e) {
    const failure = failureOf(e);
    const rejected = failure.kind === "rejected";
    if (!rejected) console.error(`job ${job.id}: scoring failed: ${failure.code}: ${failure.message}`);
    return { kind: rejected ? "rejected" : "transient", error: { code: failure.code, message: failure.message } };
  }
}

async function webhookEvent(job: Job, scored: ScoreResult | undefined, store: JobStore): Promise<WebhookEvent> {
  if (job.status === "failed") {
    return { type: "score.failed", data: { jobId: job.id, error: job.error ?? { code: "internal", message: "unknown error" } } };
  }
  const result = scored ?? (await store.result(job.tenant, job.id));
  if (!result) throw new Error(`job ${job.id} is ${job.status} but has no stored result`);
  return { type: "score.completed", data: { jobId: job.id, result } };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
