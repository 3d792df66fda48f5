// Reference sets of one tenant: create (embed, calibrate, store, manifest last), list, get, delete, re-embed.
import type { FewShotCalibration } from "../engine/anomaly/calibration";
import { traceTotals } from "../engine/staging/stage-trace";
import { DomainError } from "./domain-error";
import { evictReferenceSet, reembedReferenceSet, type ReferenceSetContext } from "./few-shot-reference";
import { referenceSetNotFound, requireManifest } from "./reference-set-manifest";
import { MAX_SHOTS, MIN_SHOTS } from "./limits";
import { randomModelWarning } from "./model-warnings";
import { currentEmbeddingKey, embedShots } from "./reference-embedding";
import { REFERENCE_SET_ID, type EmbeddingInfo, type ReferenceSetManifest, type ReferenceSetPage } from "./reference-set-store";

export { REFERENCE_SET_ID } from "./reference-set-store";

/** The API's view of a set: its identity and the calibration of the features the served model would use. */
export interface ReferenceSetView {
  id: string;
  object: string;
  shots: number;
  createdAt: string;
  /** The model the calibration below was computed with; null when no features are stored. */
  modelHash: string | null;
  /** True when those features belong to the served model and prompt set; otherwise the next use re-embeds. */
  current: boolean;
  calibration: FewShotCalibration | null;
  warning?: string;
}

function newReferenceSetId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `rs_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The new set; for a staged image tower, what its embedding's stage calls cost (one call per image stage). */
export interface CreatedReferenceSet {
  set: ReferenceSetView;
  stages?: { calls: number; stagesMs: number; hopMs: number; bytes: number };
}

export async function createReferenceSet(
  ctx: ReferenceSetContext,
  tenant: string,
  input: { object: string; images: readonly Uint8Array[] },
): Promise<CreatedReferenceSet> {
  const n = input.images.length;
  if (n < MIN_SHOTS || n > MAX_SHOTS) {
    throw new DomainError("rejected", "invalid_request", `images: a reference set has ${MIN_SHOTS} to ${MAX_SHOTS} images, got ${n}`);
  }
  // Everything that can fail on bad input happens before the first write.
  const { embedding, shots, stages } = await embedShots(ctx.runtime, input.object, input.images, ctx.limits.maxImagePixels, ctx.imageKernel);
  const id = newReferenceSetId();
  const manifest: ReferenceSetManifest = {
    format: "edge-anomaly-reference-set",
    version: 1,
    id,
    tenant,
    object: input.object,
    createdAt: new Date().toISOString(),
    shots,
  };
  try {
    // A crash before the manifest leaves the marker: the reconciler deletes the shots after the grace period.
    await ctx.store.markPending(tenant, id);
    for (const [index, bytes] of input.images.entries()) await ctx.store.putShot(tenant, id, index, bytes);
    await ctx.store.putEmbedding(tenant, id, embedding);
    await ctx.store.putManifest(manifest);
  } catch (e) {
    await removeReferenceSet(ctx, tenant, id).catch((cleanup: unknown) => console.error(`cleanup of ${tenant}/${id} failed: ${String(cleanup)}`));
    throw new DomainError("unavailable", "storage_error", `the reference set could not be stored: ${(e as Error).message}`);
  }
  await clearPending(ctx, tenant, id);
  return { set: view(ctx, manifest, embedding, true), ...(stages ? { stages: { calls: stages.hops.length, ...traceTotals(stages) } } : {}) };
}

export async function getReferenceSet(ctx: ReferenceSetContext, tenant: string, id: string): Promise<ReferenceSetView> {
  const manifest = await requireManifest(ctx.store, tenant, id);
  const current = await ctx.store.embeddingInfo(tenant, id, currentEmbeddingKey(ctx.runtime));
  if (current) return view(ctx, manifest, current, true);
  return view(ctx, manifest, await ctx.store.latestEmbeddingInfo(tenant, id), false);
}

export function listReferenceSets(
  ctx: Pick<ReferenceSetContext, "store">,
  tenant: string,
  page: { cursor?: string; limit: number },
): Promise<ReferenceSetPage> {
  return ctx.store.listManifests(tenant, page);
}

/** The manifest goes first, so the set is absent at once; then its shots and features (the reconciler ends a crashed one). */
export async function deleteReferenceSet(ctx: Pick<ReferenceSetContext, "store">, tenant: string, id: string): Promise<void> {
  if (!REFERENCE_SET_ID.test(id)) throw referenceSetNotFound(id);
  await ctx.store.markPending(tenant, id);
  if (!(await ctx.store.deleteManifest(tenant, id))) {
    await clearPending(ctx, tenant, id);
    throw referenceSetNotFound(id);
  }
  evictReferenceSet(tenant, id);
  await ctx.store.deleteData(tenant, id);
  await clearPending(ctx, tenant, id);
}

/** Recomputes the features and calibration of the set with the served model from its stored shots. */
export async function reembedReferenceSetById(ctx: ReferenceSetContext, tenant: string, id: string): Promise<ReferenceSetView> {
  const manifest = await requireManifest(ctx.store, tenant, id);
  return view(ctx, manifest, await reembedReferenceSet(ctx, manifest), true);
}

async function removeReferenceSet(ctx: Pick<ReferenceSetContext, "store">, tenant: string, id: string): Promise<void> {
  await ctx.store.deleteManifest(tenant, id);
  evictReferenceSet(tenant, id);
  await ctx.store.deleteData(tenant, id);
  await ctx.store.clearPending(tenant, id);
}

/** A marker left behind only delays its removal by the reconciler: not worth failing a request that did its work. */
async function clearPending(ctx: Pick<ReferenceSetContext, "store">, tenant: string, id: string): Promise<void> {
  await ctx.store.clearPending(tenant, id).catch((e: unknown) => console.error(`pending marker of ${tenant}/${id} not cleared: ${String(e)}`));
}

function view(ctx: ReferenceSetContext, m: ReferenceSetManifest, e: EmbeddingInfo | undefined, current: boolean): ReferenceSetView {
  const warnings = [randomModelWarning(ctx.runtime.bundle.manifest)];
  if (e?.calibration.method === "single-shot-prior") warnings.push(SINGLE_SHOT_WARNING);
  if (!current) warnings.push("the features were computed with another model or prompt set: the next use re-embeds the set");
  const warning = warnings.filter(Boolean).join(" ");
  return {
    id: m.id,
    object: m.object,
    shots: m.shots.length,
    createdAt: m.createdAt,
    modelHash: e?.modelHash ?? null,
    current,
    calibration: e?.calibration ?? null,
    ...(warning ? { warning } : {}),
  };
}

export const SINGLE_SHOT_WARNING = "calibrated from a single shot with a wide prior (single-shot-prior): add a second shot for leave-one-out calibration.";
