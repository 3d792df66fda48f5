// Jobs a crash left behind: re-enqueued past their lease with the same webhook id, or removed when never recorded.
import { MAX_DELIVERY_ATTEMPTS } from "../jobs/backoff";
import { isFinal, type Job } from "../jobs/job";
import type { JobQueue, JobStore } from "../jobs/job-store";
import { undeliveredError } from "../jobs/process-job";
import type { PendingMarker, PendingMarkers, ScanBounds, ScanCursors } from "./pending-markers";
import { scanMarkers } from "./scan-markers";

export interface JobRecoveryDeps {
  /** One marker per job from before its image is stored until it is delivered or dead-lettered. */
  markers: PendingMarkers;
  cursors: ScanCursors;
  store: Pick<JobStore, "get" | "replace" | "delete">;
  queue: JobQueue;
  now: () => number;
  /** The consumer's lease (JobDeps.leaseMs): a job is stuck once it is that late. */
  leaseMs: number;
  /** How old a marker without a job record must be before its image is removed. */
  graceMs: number;
  bounds: ScanBounds;
}

export interface JobRecoveryReport {
  scanned: number;
  requeued: number;
  deadLettered: number;
  /** Images of jobs whose record was never written (a crash during POST /v1/jobs). */
  removedIncomplete: number;
  /** Markers of jobs that reached a final state but crashed before clearing them. */
  cleared: number;
  errors: number;
  complete: boolean;
}

/**
 * Stuck: no consumer holds the lease and the job is `leaseMs` past when it was due: its submission or last progress
 * (updatedAt), or the retry the consumer scheduled (nextAttemptAt). The queue lost its message (a crash) or is that late.
 */
export function isStuck(job: Job, now: number, leaseMs: number): boolean {
  if (isFinal(job.status)) return false;
  const lease = job.leaseUntil ? Date.parse(job.leaseUntil) : 0;
  const due = Date.parse(job.nextAttemptAt ?? job.updatedAt);
  return now >= Math.max(lease, due + leaseMs);
}

export async function reconcileJobs(deps: JobRecoveryDeps): Promise<JobRecoveryReport> {
  const report = { requeued: 0, deadLettered: 0, removedIncomplete: 0, cleared: 0 };
  const visit = async ({ tenant, id, markedAt }: PendingMarker) => {
    const now = deps.now();
    const found = await deps.store.get(tenant, id);
    if (!found) {
      if (now - markedAt >= deps.graceMs) {
        await deps.store.delete(tenant, id);
        report.removedIncomplete++;
      }
      return;
    }
    const { job, version } = found;
    if (isFinal(job.status)) {
      await deps.markers.clear(tenant, id);
      report.cleared++;
      return;
    }
    if (!isStuck(job, now, deps.leaseMs)) return;
    const at = new Date(now).toISOString();
    if (job.attempts >= MAX_DELIVERY_ATTEMPTS) {
      const dead: Job = {
        ...job,
        status: "dead_lettered",
        deliveryError: undeliveredError(job.attempts, job.deliveryError),
        leaseUntil: undefined,
        updatedAt: at,
      };
      if (await deps.store.replace(dead, version)) report.deadLettered++;
      return;
    }
    // A new dispatch number first: a message of the old chain that still turns up is dropped as stale.
    const dispatch = (job.dispatch ?? 0) + 1;
    const requeued: Job = { ...job, dispatch, leaseUntil: undefined, nextAttemptAt: undefined, updatedAt: at };
    if (!(await deps.store.replace(requeued, version))) return; // a consumer got there meanwhile
    await deps.queue.send({ tenant, jobId: id, dispatch });
    report.requeued++;
  };
  const { scanned, errors, complete } = await scanMarkers("jobs", deps.markers, deps.cursors, deps.bounds, visit);
  return { scanned, ...report, errors, complete };
}
