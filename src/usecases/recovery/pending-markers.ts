// Ports of crash recovery: a marker per multi-object write in progress, and where a bounded scan of them resumes.

/** Written before the first object of a multi-object write, cleared once its record or manifest (written last) is. */
export interface PendingMarker {
  tenant: string;
  id: string;
  /** When the marker was written (ms since the epoch). */
  markedAt: number;
}

export interface PendingMarkerPage {
  markers: PendingMarker[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
}

export interface PendingMarkers {
  list(page: { cursor?: string; limit: number }): Promise<PendingMarkerPage>;
  clear(tenant: string, id: string): Promise<void>;
}

/** Where a scan stopped when it hit its bound, so that the next run goes on from there. */
export interface ScanCursors {
  load(name: string): Promise<string | undefined>;
  /** null: the scan reached the end; the next run starts from the beginning. */
  save(name: string, cursor: string | null): Promise<void>;
}

/** Bounds of one reconciler run over one kind of marker. */
export interface ScanBounds {
  pageSize: number;
  maxPages: number;
}
