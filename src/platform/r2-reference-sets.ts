// Reference sets in R2: sets/<tenant>/<id>.json manifests (listable), data/<tenant>/<id>/ shots and embeddings.
import type { R2Bucket } from "@cloudflare/workers-types";
import {
  referenceSetManifestSchema,
  type EmbeddingInfo,
  type EmbeddingKey,
  type ReferenceSetManifest,
  type ReferenceSetStore,
  type ReferenceSetSummary,
} from "../usecases/reference-set-store";
import { decodeEmbedding, EMBEDDING_HEADER_PROBE, embeddingInfoSchema, embeddingLayout, embeddingParts, encodeEmbedding, infoOf } from "./embedding-codec";

/** workerd's FixedLengthStream: a TransformStream whose readable side has a known length (what R2 put needs). */
type FixedLengthStreamClass = new (bytes: number) => { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
import { r2PendingMarkers } from "./r2-pending-markers";

/**
 * Tenants and ids are validated by the API (letters, digits, '_' and '-'), so they never contain '/'. The manifests
 * live under their own prefix so that listing a tenant's sets reads manifests only, never shots or features.
 */
export const referenceSetKeys = {
  manifest: (tenant: string, id: string) => `sets/${tenant}/${id}.json`,
  manifests: (tenant: string) => `sets/${tenant}/`,
  data: (tenant: string, id: string) => `data/${tenant}/${id}/`,
  shot: (tenant: string, id: string, index: number) => `data/${tenant}/${id}/shot-${index}`,
  embeddings: (tenant: string, id: string) => `data/${tenant}/${id}/embedding-`,
  embedding: (tenant: string, id: string, k: EmbeddingKey) => `data/${tenant}/${id}/embedding-${k.modelHash}-${k.promptSet}`,
};

/** R2 deletes up to 1000 keys per call. */
const DELETE_BATCH = 1000;

export function r2ReferenceSetStore(bucket: R2Bucket): ReferenceSetStore {
  const keys = referenceSetKeys;
  const markers = r2PendingMarkers(bucket);

  async function bytesOf(key: string): Promise<Uint8Array | undefined> {
    const object = await bucket.get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
  }

  function parseInfo(metadata: Record<string, string> | undefined): EmbeddingInfo | undefined {
    if (!metadata?.info) return undefined;
    const parsed = embeddingInfoSchema.safeParse(JSON.parse(metadata.info));
    return parsed.success ? parsed.data : undefined;
  }

  async function getManifest(tenant: string, id: string): Promise<ReferenceSetManifest | undefined> {
    const bytes = await bytesOf(keys.manifest(tenant, id));
    return bytes ? parseManifest(bytes, tenant, id) : undefined;
  }

  return {
    async putShot(tenant, id, index, bytes) {
      await bucket.put(keys.shot(tenant, id, index), bytes);
    },
    getShot: (tenant, id, index) => bytesOf(keys.shot(tenant, id, index)),

    async putEmbedding(tenant, id, embedding) {
      const key = keys.embedding(tenant, id, embedding);
      const options = { customMetadata: { info: JSON.stringify(infoOf(embedding)) } };
      const Fixed = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;
      if (!Fixed) {
        await bucket.put(key, encodeEmbedding(embedding), options);
        return;
      }
      // Streamed from the banks themselves (workerd): no second copy of every layer's half bits in the isolate (a
      // ViT-L-14-336 4-shot set: 45 MB).
      const { bytes, parts } = embeddingParts(embedding);
      const { readable, writable } = new Fixed(bytes);
      const put = bucket.put(key, readable as never, options);
      const writer = writable.getWriter();
      try {
        for (const part of parts) await writer.write(part);
        await writer.close();
      } catch (e) {
        await writer.abort(e).catch(() => {});
        await put.catch(() => {});
        throw e;
      }
      await put;
    },
    async getEmbedding(tenant, id, key) {
      const bytes = await bytesOf(keys.embedding(tenant, id, key));
      return bytes ? decodeEmbedding(bytes) : undefined;
    },
    async getEmbeddingBanks(tenant, id, key, layers) {
      const objectKey = keys.embedding(tenant, id, key);
      const head = await bucket.head(objectKey);
      if (!head) return undefined;
      const first = await bucket.get(objectKey, { range: { offset: 0, length: Math.min(EMBEDDING_HEADER_PROBE, head.size) } });
      if (!first) return undefined;
      // The features never change once written (one object per model and prompt set), so ranged reads stay consistent.
      let layout = embeddingLayout(new Uint8Array(await first.arrayBuffer()), first.size);
      if ("needBytes" in layout) {
        const longer = await bucket.get(objectKey, { range: { offset: 0, length: layout.needBytes } });
        if (!longer) return undefined;
        layout = embeddingLayout(new Uint8Array(await longer.arrayBuffer()), longer.size);
        if ("needBytes" in layout) throw new Error(`the header of ${objectKey} is longer than the object says`);
      }
      const banks = new Map<number, Uint16Array>();
      for (const l of layers) {
        const range = layout.range(l);
        if (!range) throw new Error(`the stored features of ${id} have no layer ${l}`);
        const part = await bucket.get(objectKey, { range });
        if (!part) return undefined;
        const bytes = await part.arrayBuffer();
        if (bytes.byteLength !== range.length) throw new Error(`layer ${l} of ${objectKey}: ${bytes.byteLength} bytes read, ${range.length} expected`);
        banks.set(l, new Uint16Array(bytes));
      }
      return banks;
    },
    async embeddingInfo(tenant, id, key) {
      const head = await bucket.head(keys.embedding(tenant, id, key));
      return head ? parseInfo(head.customMetadata) : undefined;
    },
    async latestEmbeddingInfo(tenant, id) {
      const listed = await bucket.list({ prefix: keys.embeddings(tenant, id), include: ["customMetadata"] });
      const newest = listed.objects.sort((a, b) => b.uploaded.getTime() - a.uploaded.getTime())[0];
      return newest ? parseInfo(newest.customMetadata) : undefined;
    },
    async deleteEmbedding(tenant, id, key) {
      await bucket.delete(keys.embedding(tenant, id, key));
    },

    async putManifest(manifest) {
      const summary: Record<string, string> = { object: manifest.object, shots: String(manifest.shots.length), createdAt: manifest.createdAt };
      await bucket.put(keys.manifest(manifest.tenant, manifest.id), JSON.stringify(manifest), {
        httpMetadata: { contentType: "application/json" },
        customMetadata: summary,
      });
    },
    getManifest,
    async listManifests(tenant, page) {
      const prefix = keys.manifests(tenant);
      const listed = await bucket.list({ prefix, limit: page.limit, cursor: page.cursor, include: ["customMetadata"] });
      const items: ReferenceSetSummary[] = [];
      for (const o of listed.objects) {
        const id = o.key.slice(prefix.length, -".json".length);
        const m = o.customMetadata;
        if (m?.object && m.shots && m.createdAt) items.push({ id, object: m.object, shots: Number(m.shots), createdAt: m.createdAt });
        else {
          const manifest = await getManifest(tenant, id);
          if (manifest) items.push({ id, object: manifest.object, shots: manifest.shots.length, createdAt: manifest.createdAt });
        }
      }
      return { items, cursor: listed.truncated ? listed.cursor : null };
    },
    async deleteManifest(tenant, id) {
      const key = keys.manifest(tenant, id);
      const existed = (await bucket.head(key)) !== null;
      await bucket.delete(key);
      return existed;
    },
    markPending: (tenant, id) => markers.mark(tenant, id),
    clearPending: (tenant, id) => markers.clear(tenant, id),
    async deleteData(tenant, id) {
      let cursor: string | undefined;
      do {
        const listed = await bucket.list({ prefix: keys.data(tenant, id), cursor, limit: DELETE_BATCH });
        if (listed.objects.length > 0) await bucket.delete(listed.objects.map((o) => o.key));
        cursor = listed.truncated ? listed.cursor : undefined;
      } while (cursor);
    },
  };
}

function parseManifest(bytes: Uint8Array, tenant: string, id: string): ReferenceSetManifest {
  const manifest = referenceSetManifestSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
  // A manifest copied under another tenant's or id's key is not that tenant's set.
  if (manifest.tenant !== tenant || manifest.id !== id) throw new Error(`manifest ${tenant}/${id} names ${manifest.tenant}/${manifest.id}`);
  return manifest;
}
