// Reference-set writes a crash left without a manifest: their objects are deleted once the grace period is over.
import type { PendingMarker, PendingMarkers, ScanBounds, ScanCursors } from "./pending-markers";
import { scanMarkers } from "./scan-markers";

export interface UploadRecoveryDeps {
  /** One marker per reference set being created or deleted, cleared when that finished. */
  markers: PendingMarkers;
  cursors: ScanCursors;
  sets: {
    hasManifest(tenant: string, id: string): Promise<boolean>;
    /** Every object of the set but its manifest. */
    deleteData(tenant: string, id: string): Promise<void>;
  };
  now: () => number;
  /** Longer than any creation or deletion takes: a younger marker may belong to one in progress. */
  graceMs: number;
  bounds: ScanBounds;
}

export interface UploadRecoveryReport {
  scanned: number;
  /** Sets without a manifest whose shots and features were deleted. */
  removed: number;
  /** Markers of sets that were committed (or whose deletion never started) and are kept. */
  cleared: number;
  errors: number;
  complete: boolean;
}

export async function reconcileUploads(deps: UploadRecoveryDeps): Promise<UploadRecoveryReport> {
  let removed = 0;
  let cleared = 0;
  const visit = async ({ tenant, id, markedAt }: PendingMarker) => {
    if (deps.now() - markedAt < deps.graceMs) return;
    if (await deps.sets.hasManifest(tenant, id)) cleared++;
    else {
      await deps.sets.deleteData(tenant, id);
      removed++;
    }
    await deps.markers.clear(tenant, id);
  };
  const { scanned, errors, complete } = await scanMarkers("reference-sets", deps.markers, deps.cursors, deps.bounds, visit);
  return { scanned, removed, cleared, errors, complete };
}
