// The worker's queue handler: the job queue and its dead-letter queue, over R2 stores and the global fetch.
import type { ExportedHandlerQueueHandler } from "@cloudflare/workers-types";
import type { Env } from "../platform/env";
import { r2JobStore } from "../platform/r2-job-store";
import { r2WebhookSecretStore } from "../platform/r2-webhook-secrets";
import { backoffBase } from "../usecases/jobs/backoff";
import { consumeJobs } from "../usecases/jobs/consume-jobs";
import type { JobMessage } from "../usecases/jobs/job";
import type { JobDeps } from "../usecases/jobs/process-job";
import type { ScoreImage } from "../usecases/score-contract";

export function jobDeps(env: Env, scoreImage: ScoreImage, fetcher: typeof fetch = (input, init) => fetch(input, init)): JobDeps {
  return {
    env,
    store: r2JobStore(env.JOBS),
    secrets: r2WebhookSecretStore(env.JOBS),
    scoreImage,
    fetch: fetcher,
    now: Date.now,
    backoffBaseSeconds: backoffBase(env.WEBHOOK_BACKOFF_BASE_SECONDS),
  };
}

export function jobsQueueHandler(scoreImage: ScoreImage): ExportedHandlerQueueHandler<Env, JobMessage> {
  return (batch, env) => consumeJobs(batch, jobDeps(env, scoreImage), env.JOBS_DEAD_LETTER_QUEUE);
}
