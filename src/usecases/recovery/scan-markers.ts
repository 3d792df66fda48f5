// One bounded, paginated pass over pending markers, resuming where the previous run stopped.
import type { PendingMarker, PendingMarkers, ScanBounds, ScanCursors } from "./pending-markers";

export interface ScanOutcome {
  scanned: number;
  /** Markers whose handling threw (storage errors): left for the next run. */
  errors: number;
  /** False when the bound was hit before the last page: the next run resumes from the saved cursor. */
  complete: boolean;
}

export async function scanMarkers(
  name: string,
  markers: PendingMarkers,
  cursors: ScanCursors,
  bounds: ScanBounds,
  visit: (marker: PendingMarker) => Promise<void>,
): Promise<ScanOutcome> {
  const loaded = await cursors.load(name);
  let cursor = loaded;
  let scanned = 0;
  let errors = 0;
  for (let page = 0; page < bounds.maxPages; page++) {
    const listed = await markers.list({ cursor, limit: bounds.pageSize });
    for (const marker of listed.markers) {
      scanned++;
      try {
        await visit(marker);
      } catch (e) {
        errors++;
        console.error(`reconcile ${name}: ${marker.tenant}/${marker.id}: ${(e as Error).message ?? e}`);
      }
    }
    cursor = listed.cursor ?? undefined;
    if (cursor === undefined) break;
  }
  // Only when it changed: an idle run reads and lists, and writes nothing.
  if (cursor !== loaded) await cursors.save(name, cursor ?? null);
  return { scanned, errors, complete: cursor === undefined };
}
