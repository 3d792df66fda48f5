// The scheduled entry point's composition root (wrangler.toml [triggers]): one bounded reconciler run over R2 and the job queue.
import type { ExportedHandlerScheduledHandler } from "@cloudflare/workers-types";
import type { Env } from "../platform/env";
import { r2PendingMarkers, r2ScanCursors } from "../platform/r2-pending-markers";
import { reconcileJobs, type JobRecoveryReport } from "../usecases/recovery/reconcile-jobs";
import { reconcileUploads, type UploadRecoveryReport } from "../usecases/recovery/reconcile-uploads";
import { DEFAULT_BOUNDS } from "../usecases/recovery/recovery-settings";
import { platformAdapters } from "./adapters";
import { readConfig } from "./config";

export interface ReconcileReport {
  jobs: JobRecoveryReport;
  referenceSets: UploadRecoveryReport;
}

export async function reconcile(env: Env): Promise<ReconcileReport> {
  const config = readConfig(env);
  const a = platformAdapters(env, config);
  const { leaseMs, graceMs } = config;
  const jobs = await reconcileJobs({
    markers: r2PendingMarkers(env.JOBS),
    cursors: r2ScanCursors(env.JOBS),
    store: a.jobs,
    queue: a.jobQueue,
    now: a.now,
    leaseMs,
    graceMs,
    bounds: DEFAULT_BOUNDS,
  });
  const sets = a.referenceSets;
  const referenceSets = await reconcileUploads({
    markers: r2PendingMarkers(env.REFERENCE_SETS),
    cursors: r2ScanCursors(env.REFERENCE_SETS),
    sets: { hasManifest: async (tenant, id) => (await sets.getManifest(tenant, id)) !== undefined, deleteData: sets.deleteData },
    now: a.now,
    graceMs,
    bounds: DEFAULT_BOUNDS,
  });
  return { jobs, referenceSets };
}

/**
 * Never throws: a failed run is logged and the next one (a minute later) starts over. Locally a scheduled handler that
 * throws fails the /__scheduled request, and wrangler dev exits on some of those errors ("Network connection lost").
 */
export const reconcileHandler: ExportedHandlerScheduledHandler<Env> = async (_controller, env) => {
  try {
    const report = await reconcile(env);
    const { jobs: j, referenceSets: r } = report;
    if (j.requeued + j.deadLettered + j.removedIncomplete + j.cleared + j.errors + r.removed + r.cleared + r.errors > 0) {
      console.log(`reconcile: ${JSON.stringify(report)}`);
    }
  } catch (e) {
    console.error(`reconcile: run failed: ${(e as Error).stack ?? e}`);
  }
};
