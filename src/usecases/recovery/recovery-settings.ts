// The reconciler's production defaults; JOB_LEASE_SECONDS and UPLOAD_GRACE_SECONDS override them (src/composition/config.ts).
import type { ScanBounds } from "./pending-markers";

/** A reference-set creation or deletion, or a job submission, takes seconds; a marker an hour old is a crash's leftover. */
export const DEFAULT_GRACE_MS = 3_600_000;
/** Per run and per kind of marker: at most 10 pages of 100 (a backlog is worked off over several runs). */
export const DEFAULT_BOUNDS: ScanBounds = { pageSize: 100, maxPages: 10 };
