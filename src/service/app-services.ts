// What the routes ask of the layers below, one use case per call, already bound to this deployment's adapters.
import type { JobRequest } from "../usecases/jobs/create-job";
import type { JobView } from "../usecases/jobs/get-job";
import type { Limits } from "../usecases/limits";
import type { ReferenceSetPage } from "../usecases/reference-set-store";
import type { CreatedReferenceSet, ReferenceSetView } from "../usecases/reference-sets";
import type { ScoreOptions, ScoreResponse } from "../usecases/score-image";
import type { ServiceStatus } from "../usecases/service-status";

export interface AppServices {
  limits: Limits;
  /** The tenant of a presented API key, or undefined. */
  authenticate(key: string): Promise<string | undefined>;
  serviceStatus(): Promise<ServiceStatus>;
  scoreImage(tenant: string, input: ScoreOptions): Promise<ScoreResponse>;
  createReferenceSet(tenant: string, input: { object: string; images: readonly Uint8Array[] }): Promise<CreatedReferenceSet>;
  listReferenceSets(tenant: string, page: { cursor?: string; limit: number }): Promise<ReferenceSetPage>;
  getReferenceSet(tenant: string, id: string): Promise<ReferenceSetView>;
  deleteReferenceSet(tenant: string, id: string): Promise<void>;
  reembedReferenceSet(tenant: string, id: string): Promise<ReferenceSetView>;
  createJob(tenant: string, request: JobRequest): Promise<{ id: string; status: "queued" }>;
  getJob(tenant: string, id: string): Promise<JobView>;
  /** The tenant's webhook signing secret, created on first use. */
  webhookSecret(tenant: string): Promise<string>;
}
