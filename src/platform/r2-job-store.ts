// JobStore on R2: jobs/<tenant>/<id>/{job.json,image,result.json}; versions are R2 etags, swaps are conditional puts.
// A pending marker (pending/<tenant>/<id>) lives from before the image is stored until the job is final.
import type { R2Bucket } from "@cloudflare/workers-types";
import type { ScoreResult } from "../usecases/score-contract";
import { isFinal, jobRecord, type Job } from "../usecases/jobs/job";
import type { JobStore, VersionedJob } from "../usecases/jobs/job-store";
import { r2PendingMarkers } from "./r2-pending-markers";

/** The folder of one job; the tenant is URI-encoded so that no tenant name can reach into another's folder. */
export function jobPrefix(tenant: string, id: string): string {
  return `jobs/${encodeURIComponent(tenant)}/${id}/`;
}

export function r2JobStore(bucket: R2Bucket): JobStore {
  const key = (tenant: string, id: string, file: string) => jobPrefix(tenant, id) + file;
  const json = { httpMetadata: { contentType: "application/json" } };
  const markers = r2PendingMarkers(bucket);

  return {
    async create(job, image) {
      await markers.mark(job.tenant, job.id);
      await bucket.put(key(job.tenant, job.id, "image"), image);
      await bucket.put(key(job.tenant, job.id, "job.json"), JSON.stringify(job), json);
    },

    async get(tenant, id): Promise<VersionedJob | undefined> {
      const object = await bucket.get(key(tenant, id, "job.json"));
      if (!object) return undefined;
      const job: Job = jobRecord.parse(await object.json());
      return { job, version: object.etag };
    },

    async replace(job, version) {
      const written = await bucket.put(key(job.tenant, job.id, "job.json"), JSON.stringify(job), { ...json, onlyIf: { etagMatches: version } });
      // Left behind by a crash here, the reconciler clears it on its next pass.
      if (written && isFinal(job.status)) await markers.clear(job.tenant, job.id).catch(() => undefined);
      return written?.etag;
    },

    async image(tenant, id) {
      const object = await bucket.get(key(tenant, id, "image"));
      return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
    },

    async putResult(tenant, id, result) {
      await bucket.put(key(tenant, id, "result.json"), JSON.stringify(result), json);
    },

    async result(tenant, id) {
      const object = await bucket.get(key(tenant, id, "result.json"));
      return object ? ((await object.json()) as ScoreResult) : undefined;
    },

    async delete(tenant, id) {
      await bucket.delete(["job.json", "image", "result.json"].map((file) => key(tenant, id, file)));
      await markers.clear(tenant, id);
    },
  };
}
