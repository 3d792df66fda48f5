// The queue entry point's composition root: the job consumer over R2 stores, the global fetch and the scorer.
import type { ExportedHandlerQueueHandler } from "@cloudflare/workers-types";
import type { Env } from "../platform/env";
import { consumeJobs } from "../usecases/jobs/consume-jobs";
import type { JobMessage } from "../usecases/jobs/job";
import type { JobDeps } from "../usecases/jobs/process-job";
import { scoreImage } from "../usecases/score-image";
import { platformAdapters, scorePorts } from "./adapters";
import { awaitWithTimer } from "../shared/await-with-timer";
import { readConfig } from "./config";
import { isolateAdmission } from "./isolate-admission";

export function jobDeps(env: Env): { deps: JobDeps; deadLetterQueue: string } {
  const config = readConfig(env);
  const a = platformAdapters(env, config);
  const ports = scorePorts(a, config);
  const deps: JobDeps = {
    store: a.jobs,
    secrets: a.webhookSecrets,
    scoreImage: (tenant, input) => scoreImage(ports, tenant, input),
    fetch: a.fetch,
    now: a.now,
    backoffBaseSeconds: config.backoffBaseSeconds,
    leaseMs: config.leaseMs,
    modelTurn: async () => {
      const ticket = isolateAdmission(config.limits).admitWaiting();
      await awaitWithTimer(ticket.turn());
      return ticket.release;
    },
  };
  return { deps, deadLetterQueue: config.deadLetterQueue };
}

/** The job queue and its dead-letter queue (wrangler.toml [[queues.consumers]]). */
export const jobsQueueHandler: ExportedHandlerQueueHandler<Env, JobMessage> = (batch, env) => {
  const { deps, deadLetterQueue } = jobDeps(env);
  return consumeJobs(batch, deps, deadLetterQueue);
};
