// Pending markers and scan cursors in R2: pending/<tenant>/<id> (empty objects, listed by prefix), recovery/<name>.cursor.
import type { R2Bucket } from "@cloudflare/workers-types";
import type { PendingMarkers, ScanCursors } from "../usecases/recovery/pending-markers";

const PREFIX = "pending/";

export function pendingMarkerKey(tenant: string, id: string): string {
  return `${PREFIX}${encodeURIComponent(tenant)}/${id}`;
}

export interface R2PendingMarkers extends PendingMarkers {
  mark(tenant: string, id: string): Promise<void>;
}

export function r2PendingMarkers(bucket: R2Bucket): R2PendingMarkers {
  return {
    async mark(tenant, id) {
      await bucket.put(pendingMarkerKey(tenant, id), new Uint8Array());
    },
    async clear(tenant, id) {
      await bucket.delete(pendingMarkerKey(tenant, id));
    },
    async list(page) {
      const listed = await bucket.list({ prefix: PREFIX, limit: page.limit, cursor: page.cursor });
      const markers = [];
      for (const o of listed.objects) {
        const [tenant, id, ...rest] = o.key.slice(PREFIX.length).split("/");
        if (!tenant || !id || rest.length > 0) continue;
        markers.push({ tenant: decodeURIComponent(tenant), id, markedAt: o.uploaded.getTime() });
      }
      return { markers, cursor: listed.truncated ? listed.cursor : null };
    },
  };
}

export function r2ScanCursors(bucket: R2Bucket): ScanCursors {
  const key = (name: string) => `recovery/${name}.cursor`;
  return {
    async load(name) {
      const object = await bucket.get(key(name));
      return object ? (await object.text()) || undefined : undefined;
    },
    async save(name, cursor) {
      if (cursor === null) await bucket.delete(key(name));
      else await bucket.put(key(name), cursor);
    },
  };
}
