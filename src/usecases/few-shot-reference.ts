// A reference set's features for the served model: isolate cache, then R2, else re-embedded from the stored shots.
import type { ImageKernel } from "../engine/image/image-kernel";
import { sha256Hex } from "../engine/runtime/bundle-manifest";
import { DomainError } from "./domain-error";
import type { Limits } from "./limits";
import type { ModelRuntime } from "./model-runtime";
import { currentEmbeddingKey, embedShots, withFloatBanks } from "./reference-embedding";
import { referenceSetNotFound, requireManifestFor } from "./reference-set-manifest";
import type { EmbeddingInfo, EmbeddingToStore, ReferenceEmbedding, ReferenceSetManifest, ReferenceSetStore } from "./reference-set-store";

export interface ReferenceSetContext {
  runtime: ModelRuntime;
  store: ReferenceSetStore;
  limits: Limits;
  /** The image SIMD kernels: PNG unfiltering and the resize (same pixels as the JS loops, which run without it). */
  imageKernel?: ImageKernel;
}

export type EmbeddingSource = "memory" | "stored" | "reembedded";

export interface FewShotReference {
  manifest: ReferenceSetManifest;
  embedding: ReferenceEmbedding;
  source: EmbeddingSource;
}

/** Decoded memory banks kept per isolate, bounded in bytes (the oldest entry goes first). */
const CACHE_BYTES = 32 * 1024 * 1024;
const cache = new Map<string, { embedding: ReferenceEmbedding; bytes: number }>();
const pending = new Map<string, Promise<EmbeddingToStore>>();

function cacheKey(tenant: string, id: string, e: { modelHash: string; promptSet: string }): string {
  return `${tenant}/${id}/${e.modelHash}/${e.promptSet}`;
}

/** Forgets every cached embedding of the set in this isolate (after a delete or a forced re-embed). */
export function evictReferenceSet(tenant: string, id: string): void {
  for (const key of cache.keys()) if (key.startsWith(`${tenant}/${id}/`)) cache.delete(key);
}

function remember(key: string, embedding: ReferenceEmbedding): void {
  let bytes = 0;
  for (const bank of embedding.memory.values()) bytes += bank.byteLength;
  if (bytes > CACHE_BYTES) return;
  cache.delete(key);
  cache.set(key, { embedding, bytes });
  let total = 0;
  for (const entry of cache.values()) total += entry.bytes;
  for (const [k, entry] of cache) {
    if (total <= CACHE_BYTES) break;
    cache.delete(k);
    total -= entry.bytes;
  }
}

/**
 * The set's embedding for the served model and prompt set, for scoring `object`. The manifest is read on every call,
 * so a set deleted by another isolate is gone here too; features of another model are never used, the set is
 * re-embedded instead.
 */
export async function fewShotReference(ctx: ReferenceSetContext, tenant: string, id: string, object: string): Promise<FewShotReference> {
  // Checked before any re-embedding.
  const manifest = await requireManifestFor(ctx.store, tenant, id, object);
  const current = currentEmbeddingKey(ctx.runtime);
  const key = cacheKey(tenant, id, current);
  const hit = cache.get(key);
  if (hit) {
    remember(key, hit.embedding);
    return { manifest, embedding: hit.embedding, source: "memory" };
  }
  const stored = await ctx.store.getEmbedding(tenant, id, current);
  if (stored) {
    remember(key, stored);
    return { manifest, embedding: stored, source: "stored" };
  }
  const embedding = withFloatBanks(await reembedReferenceSet(ctx, manifest));
  if (!embedding) throw new Error("a staged image tower's banks are searched in its stages: use fewShotReferenceInfo");
  return { manifest, embedding, source: "reembedded" };
}

/** A set's calibration without its memory banks: what the front needs when stage Workers search the banks. */
export interface FewShotReferenceInfo {
  manifest: ReferenceSetManifest;
  embedding: EmbeddingInfo & { memory?: ReferenceEmbedding["memory"] };
  source: EmbeddingSource;
}

/**
 * As fewShotReference, but reads only the stored features' metadata (calibration), not the banks: for an image tower
 * whose stages read their layers' banks themselves. Re-embeds (and stores) when the set has no features for the model.
 */
export async function fewShotReferenceInfo(ctx: ReferenceSetContext, tenant: string, id: string, object: string): Promise<FewShotReferenceInfo> {
  const manifest = await requireManifestFor(ctx.store, tenant, id, object);
  const current = currentEmbeddingKey(ctx.runtime);
  const hit = cache.get(cacheKey(tenant, id, current));
  if (hit) return { manifest, embedding: hit.embedding, source: "memory" };
  const info = await ctx.store.embeddingInfo(tenant, id, current);
  if (info) return { manifest, embedding: info, source: "stored" };
  const e = await reembedReferenceSet(ctx, manifest);
  const embedding = withFloatBanks(e) ?? { modelHash: e.modelHash, promptSet: e.promptSet, createdAt: e.createdAt, calibration: e.calibration };
  return { manifest, embedding, source: "reembedded" };
}

/**
 * Re-embeds from the stored shots and stores the result; concurrent calls in one isolate share one run. Float32 banks
 * (a tower in this isolate) are kept in the isolate's cache; a staged tower's half-bit banks are not (stages read them).
 */
export function reembedReferenceSet(ctx: ReferenceSetContext, manifest: ReferenceSetManifest): Promise<EmbeddingToStore> {
  const key = cacheKey(manifest.tenant, manifest.id, currentEmbeddingKey(ctx.runtime));
  let run = pending.get(key);
  if (!run) {
    run = reembed(ctx, manifest).finally(() => pending.delete(key));
    pending.set(key, run);
  }
  return run;
}

async function reembed(ctx: ReferenceSetContext, manifest: ReferenceSetManifest): Promise<EmbeddingToStore> {
  const { tenant, id } = manifest;
  const images: Uint8Array[] = [];
  for (const [index, shot] of manifest.shots.entries()) {
    const bytes = await ctx.store.getShot(tenant, id, index);
    // The manifest is written last and deleted first: a missing shot means the set is being deleted.
    if (!bytes) throw referenceSetNotFound(id);
    if ((await sha256Hex(bytes)) !== shot.sha256) throw new DomainError("fault", "storage_error", `shot ${index} of ${id} does not match its manifest`);
    images.push(bytes);
  }
  // The shots passed the pixel limit when the set was created; a lower limit since then must not orphan the set.
  const maxPixels = Math.max(ctx.limits.maxImagePixels, ...manifest.shots.map((s) => s.width * s.height));
  const { embedding } = await embedShots(ctx.runtime, manifest.object, images, maxPixels, ctx.imageKernel);
  await ctx.store.putEmbedding(tenant, id, embedding);
  if (!(await ctx.store.getManifest(tenant, id))) {
    // Deleted while we were embedding: take back what we wrote so nothing of the set outlives it.
    await ctx.store.deleteEmbedding(tenant, id, embedding);
    throw referenceSetNotFound(id);
  }
  evictReferenceSet(tenant, id);
  const floats = withFloatBanks(embedding);
  if (floats) remember(cacheKey(tenant, id, embedding), floats);
  return embedding;
}
