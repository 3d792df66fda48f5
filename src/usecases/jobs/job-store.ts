// Where jobs live: the record with a version for compare-and-swap, the uploaded image and the result.
import type { ScoreResult } from "../score-contract";
import type { Job, JobMessage } from "./job";

export interface VersionedJob {
  job: Job;
  /** Opaque; changes on every write. */
  version: string;
}

export interface JobStore {
  /**
   * Stores the image, then the record (a record is never visible without its image). Until the job is final (a
   * `replace` to delivered or dead_lettered) or deleted, it stays listed for the reconciler (src/usecases/recovery/).
   */
  create(job: Job, image: Uint8Array): Promise<void>;
  get(tenant: string, id: string): Promise<VersionedJob | undefined>;
  /** Writes `job` only if the stored version is still `version`: the new version, or undefined after a concurrent write. */
  replace(job: Job, version: string): Promise<string | undefined>;
  image(tenant: string, id: string): Promise<Uint8Array | undefined>;
  putResult(tenant: string, id: string, result: ScoreResult): Promise<void>;
  result(tenant: string, id: string): Promise<ScoreResult | undefined>;
  delete(tenant: string, id: string): Promise<void>;
}

/** Each tenant's Standard Webhooks secret, created on first use. */
export interface WebhookSecretStore {
  getOrCreate(tenant: string): Promise<string>;
}

/** The job queue's producer: ids only, the image stays in the job store (a queue message is limited to 128 KB). */
export interface JobQueue {
  send(message: JobMessage): Promise<void>;
}
