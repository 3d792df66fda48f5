// The storage port of reference sets: an immutable manifest written last, original shots, features per model.
import { z } from "zod";
import type { FewShotCalibration } from "../engine/anomaly/calibration";
import type { FewShotMemory } from "../engine/detector/analyse";
import type { BankRows } from "../engine/detector/reference-shots";

/** `rs_` + 24 hex digits (96 random bits). Anything else cannot name a set (and never reaches a storage key). */
export const REFERENCE_SET_ID = /^rs_[0-9a-f]{24}$/;

const shotSchema = z.object({
  format: z.enum(["jpeg", "png"]),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** What makes a set exist: written after every other object of the set, deleted before any of them. */
export const referenceSetManifestSchema = z.object({
  format: z.literal("edge-anomaly-reference-set"),
  version: z.literal(1),
  id: z.string(),
  tenant: z.string(),
  object: z.string(),
  createdAt: z.string(),
  shots: z.array(shotSchema).min(1),
});

export type ReferenceSetManifest = z.infer<typeof referenceSetManifestSchema>;
export type ShotInfo = z.infer<typeof shotSchema>;

/** Features are only ever used with the model and prompt set they were computed with. */
export interface EmbeddingKey {
  modelHash: string;
  /** PROMPT_SET_VERSION: the calibration depends on the object's text features, hence on the prompts. */
  promptSet: string;
}

/** An embedding without its features: cheap to read (object metadata). */
export interface EmbeddingInfo extends EmbeddingKey {
  createdAt: string;
  calibration: FewShotCalibration;
}

/** Memory banks of every few-shot layer ([k*G*G, width] raw patch tokens) and the set's calibration. */
export interface ReferenceEmbedding extends EmbeddingInfo {
  width: number;
  memory: FewShotMemory;
}

/** What putEmbedding stores: as ReferenceEmbedding, its banks either float32 or already half bits. */
export interface EmbeddingToStore extends EmbeddingInfo {
  width: number;
  memory: Map<number, BankRows>;
}

export interface ReferenceSetSummary {
  id: string;
  object: string;
  shots: number;
  createdAt: string;
}

export interface ReferenceSetPage {
  items: ReferenceSetSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
}

/** Implementations throw on storage failures; absent objects are `undefined`, never errors. */
export interface ReferenceSetStore {
  putShot(tenant: string, id: string, index: number, bytes: Uint8Array): Promise<void>;
  getShot(tenant: string, id: string, index: number): Promise<Uint8Array | undefined>;
  putEmbedding(tenant: string, id: string, embedding: EmbeddingToStore): Promise<void>;
  getEmbedding(tenant: string, id: string, key: EmbeddingKey): Promise<ReferenceEmbedding | undefined>;
  /**
   * Only the given layers' banks of the stored embedding, as the half bits they are stored in (ranged reads: an image
   * stage reads its own layers, never every layer). Throws when the embedding lacks one of them.
   */
  getEmbeddingBanks(tenant: string, id: string, key: EmbeddingKey, layers: readonly number[]): Promise<Map<number, Uint16Array> | undefined>;
  /** The stored embedding's metadata for that model and prompt set. */
  embeddingInfo(tenant: string, id: string, key: EmbeddingKey): Promise<EmbeddingInfo | undefined>;
  /** The most recently written embedding of the set, whatever its model. */
  latestEmbeddingInfo(tenant: string, id: string): Promise<EmbeddingInfo | undefined>;
  deleteEmbedding(tenant: string, id: string, key: EmbeddingKey): Promise<void>;
  putManifest(manifest: ReferenceSetManifest): Promise<void>;
  getManifest(tenant: string, id: string): Promise<ReferenceSetManifest | undefined>;
  listManifests(tenant: string, page: { cursor?: string; limit: number }): Promise<ReferenceSetPage>;
  /** Returns whether a manifest existed. */
  deleteManifest(tenant: string, id: string): Promise<boolean>;
  /** Removes every object of the set except its manifest (shots and all embeddings). */
  deleteData(tenant: string, id: string): Promise<void>;
  /**
   * Before the first write of a creation or deletion: until clearPending, the set is listed for the reconciler, which
   * deletes the objects of a set left without a manifest after a grace period (src/usecases/recovery/).
   */
  markPending(tenant: string, id: string): Promise<void>;
  clearPending(tenant: string, id: string): Promise<void>;
}
