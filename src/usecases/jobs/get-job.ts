// A tenant's view of one job: its status, delivery attempts and, once scored, the result.
import { DomainError } from "../domain-error";
import type { ScoreResult } from "../score-contract";
import { isJobId, type Job } from "./job";
import type { JobStore } from "./job-store";

export type JobView = Pick<
  Job,
  "id" | "status" | "createdAt" | "updatedAt" | "webhookId" | "attempts" | "deliveries" | "deliveredAt" | "deliveryError" | "error"
> & {
  object: string;
  webhookUrl: string;
  result?: ScoreResult;
};

export async function getJob(store: Pick<JobStore, "get" | "result">, tenant: string, id: string): Promise<JobView> {
  const found = isJobId(id) ? await store.get(tenant, id) : undefined;
  // The store is keyed by tenant; the check on the record is belt and braces. Another tenant's job reads as missing.
  if (!found || found.job.tenant !== tenant) throw new DomainError("rejected", "not_found", `no job ${id}`);
  const { job } = found;
  const scored = job.status === "succeeded" || job.status === "delivered" || job.status === "dead_lettered";
  const result = scored && !job.error ? await store.result(tenant, id) : undefined;
  return {
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
  };
}
