// The per-message state machine over in-memory stores: leases against duplicates, transient scoring errors, client errors.
import { describe, expect, it } from "vitest";
import { BundleError } from "../../../src/engine/runtime/model-bundle";
import { DomainError } from "../../../src/usecases/domain-error";
import { webhookIdOf, type Job } from "../../../src/usecases/jobs/job";
import type { JobStore } from "../../../src/usecases/jobs/job-store";
import { AdmissionQueue } from "../../../src/service/admission";
import { LEASE_MS, processJob, type JobDeps } from "../../../src/usecases/jobs/process-job";
import type { ScoreImage, ScoreResult } from "../../../src/usecases/score-contract";

function memoryStore(): JobStore & { jobs: Map<string, { job: Job; version: string }> } {
  const jobs = new Map<string, { job: Job; version: string }>();
  const results = new Map<string, ScoreResult>();
  let n = 0;
  return {
    jobs,
    async create(job) {
      jobs.set(job.id, { job, version: String(++n) });
    },
    async get(_tenant, id) {
      return jobs.get(id);
    },
    async replace(job, version) {
      if (jobs.get(job.id)?.version !== version) return undefined;
      const next = String(++n);
      jobs.set(job.id, { job: structuredClone(job), version: next });
      return next;
    },
    image: async () => new Uint8Array([1]),
    putResult: async (_t, id, r) => void results.set(id, r),
    result: async (_t, id) => results.get(id),
    delete: async () => undefined,
  };
}

const RESULT: ScoreResult = { object: "bottle", mode: "zero-shot", score: 0.3, isAnomalous: false, threshold: 0.5 };

function setup(scoreImage: ScoreImage) {
  const store = memoryStore();
  const posts: string[] = [];
  let now = Date.parse("2026-01-01T00:00:00Z");
  const deps: JobDeps = {
    store,
    secrets: { getOrCreate: async () => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    scoreImage,
    fetch: async (_url, init) => {
      posts.push(String(init?.body));
      return new Response(null, { status: 200 });
    },
    now: () => now,
    backoffBaseSeconds: 30,
  };
  const id = "job_0123456789abcdef0123456789abcdef";
  const at = new Date(now).toISOString();
  const job: Job = {
    id,
    tenant: "acme",
    status: "queued",
    createdAt: at,
    updatedAt: at,
    request: { object: "bottle", map: "png", regions: false, webhookUrl: "https://receiver.example/x", imageBytes: 1 },
    webhookId: webhookIdOf(id),
    attempts: 0,
    deliveries: [],
  };
  void store.create(job, new Uint8Array());
  return { store, posts, deps, message: { body: { tenant: "acme", jobId: id }, attempts: 1 }, advance: (ms: number) => (now += ms) };
}

describe("processJob", () => {
  it("makes a duplicate wait while another consumer holds the lease, and takes over once it has expired", async () => {
    const t = setup(async () => RESULT);
    const { job, version } = t.store.jobs.get(t.message.body.jobId)!;
    const leaseUntil = new Date(t.deps.now() + LEASE_MS).toISOString();
    await t.store.replace({ ...job, status: "running", leaseUntil }, version);
    expect(await processJob(t.message, t.deps)).toEqual({ kind: "retry", delaySeconds: LEASE_MS / 1000 });
    expect(t.posts).toEqual([]);
    t.advance(LEASE_MS + 1);
    expect(await processJob(t.message, t.deps)).toEqual({ kind: "ack" });
    expect(t.posts).toHaveLength(1);
    expect(t.store.jobs.get(t.message.body.jobId)!.job).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("requeues a job whose scoring failed on the server side, with backoff and the error recorded, then scores it", async () => {
    let calls = 0;
    const t = setup(async () => {
      if (++calls === 1) throw new BundleError("bundle_missing_file", "bundle missing");
      return RESULT;
    });
    expect(await processJob(t.message, t.deps)).toEqual({ kind: "retry", delaySeconds: 30 });
    expect(t.store.jobs.get(t.message.body.jobId)!.job).toMatchObject({ status: "queued", attempts: 0, error: { code: "model_unavailable" } });
    expect(t.store.jobs.get(t.message.body.jobId)!.job.leaseUntil).toBeUndefined();
    expect(await processJob({ ...t.message, attempts: 2 }, t.deps)).toEqual({ kind: "ack" });
    const { job } = t.store.jobs.get(t.message.body.jobId)!;
    expect(job).toMatchObject({ status: "delivered", attempts: 1 });
    expect(job.error).toBeUndefined();
    expect(JSON.parse(t.posts[0]!)).toEqual({ type: "score.completed", data: { jobId: job.id, result: RESULT } });
  });

  it("reads its image and scores only at its turn in the shared model queue, and releases the turn even when scoring throws", async () => {
    const queue = new AdmissionQueue({ maxRequests: 2, maxBytes: 1e9 });
    const events: string[] = [];
    const t = setup(async () => {
      events.push("score");
      throw new BundleError("bundle_missing_file", "bundle missing");
    });
    const image = t.store.image;
    t.store.image = async (tenant, id) => {
      events.push("image");
      return image(tenant, id);
    };
    t.deps.modelTurn = async () => {
      const ticket = queue.admitWaiting();
      await ticket.turn();
      return ticket.release;
    };
    const first = queue.admit(1); // HTTP requests holding and waiting for the model
    const second = queue.admit(1);
    const processed = processJob(t.message, t.deps); // the queue is full for HTTP requests; a job still waits its turn
    await new Promise((r) => setTimeout(r, 20));
    expect(queue.size).toBe(3);
    first.release();
    await second.turn();
    events.push("second request");
    await new Promise((r) => setTimeout(r, 20));
    second.release();
    expect(await processed).toEqual({ kind: "retry", delaySeconds: 30 });
    expect(events).toEqual(["second request", "image", "score"]);
    expect(queue.size).toBe(0);
  });

  it("fails a job on a client error and delivers score.failed", async () => {
    const t = setup(async () => {
      throw new DomainError("rejected", "reference_set_not_found", "no reference set rs_1");
    });
    expect(await processJob(t.message, t.deps)).toEqual({ kind: "ack" });
    expect(t.store.jobs.get(t.message.body.jobId)!.job).toMatchObject({ status: "delivered", error: { code: "reference_set_not_found" } });
    expect(JSON.parse(t.posts[0]!).type).toBe("score.failed");
  });
});
