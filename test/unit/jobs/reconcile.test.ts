// The reconciler over in-memory ports: stuck jobs re-enqueued (same webhook id, schedule resumed), stale messages dropped,
// crash leftovers removed after the grace period, and every run bounded and resumed from its cursor.
import { describe, expect, it } from "vitest";
import { webhookIdOf, type Job, type JobMessage } from "../../../src/usecases/jobs/job";
import type { JobStore } from "../../../src/usecases/jobs/job-store";
import { processJob, type JobDeps } from "../../../src/usecases/jobs/process-job";
import type { PendingMarker, PendingMarkers, ScanCursors } from "../../../src/usecases/recovery/pending-markers";
import { isStuck, reconcileJobs, type JobRecoveryDeps } from "../../../src/usecases/recovery/reconcile-jobs";
import { reconcileUploads } from "../../../src/usecases/recovery/reconcile-uploads";
import type { ScoreResult } from "../../../src/usecases/score-contract";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const LEASE = 120_000;
const GRACE = 3_600_000;
const RESULT: ScoreResult = { object: "bottle", mode: "zero-shot", score: 0.3, isAnomalous: false, threshold: 0.5 };

/** Markers keyed tenant/id in key order; the cursor is the last key listed (as R2's, it survives deletions). */
function memoryMarkers(): PendingMarkers & { entries: Map<string, PendingMarker>; mark(tenant: string, id: string, at: number): void } {
  const entries = new Map<string, PendingMarker>();
  return {
    entries,
    mark: (tenant, id, at) => void entries.set(`${tenant}/${id}`, { tenant, id, markedAt: at }),
    async list({ cursor, limit }) {
      const after = [...entries.keys()].sort().filter((k) => cursor === undefined || k > cursor);
      const keys = after.slice(0, limit);
      return { markers: keys.map((k) => entries.get(k)!), cursor: after.length > limit ? keys.at(-1)! : null };
    },
    clear: async (tenant, id) => void entries.delete(`${tenant}/${id}`),
  };
}

function memoryCursors(): ScanCursors & { saved: Map<string, string> } {
  const saved = new Map<string, string>();
  return {
    saved,
    load: async (name) => saved.get(name),
    save: async (name, cursor) => void (cursor === null ? saved.delete(name) : saved.set(name, cursor)),
  };
}

function setup() {
  let now = T0;
  const markers = memoryMarkers();
  const jobs = new Map<string, { job: Job; version: string }>();
  const results = new Map<string, ScoreResult>();
  const deleted: string[] = [];
  let n = 0;
  const store: JobStore = {
    async create(job) {
      markers.mark(job.tenant, job.id, now);
      jobs.set(job.id, { job, version: String(++n) });
    },
    get: async (_t, id) => jobs.get(id),
    async replace(job, version) {
      if (jobs.get(job.id)?.version !== version) return undefined;
      jobs.set(job.id, { job: structuredClone(job), version: String(++n) });
      if (job.status === "delivered" || job.status === "dead_lettered") await markers.clear(job.tenant, job.id);
      return String(n);
    },
    image: async () => new Uint8Array([1]),
    putResult: async (_t, id, r) => void results.set(id, r),
    result: async (_t, id) => results.get(id),
    async delete(tenant, id) {
      deleted.push(id);
      jobs.delete(id);
      await markers.clear(tenant, id);
    },
  };
  const sent: JobMessage[] = [];
  const posts: { webhookId: string | null }[] = [];
  let answers: number[] = [];
  const cursors = memoryCursors();
  const recovery: JobRecoveryDeps = {
    markers,
    cursors,
    store,
    queue: { send: async (m) => void sent.push(m) },
    now: () => now,
    leaseMs: LEASE,
    graceMs: GRACE,
    bounds: { pageSize: 10, maxPages: 2 },
  };
  const jobDeps: JobDeps = {
    store,
    secrets: { getOrCreate: async () => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    scoreImage: async () => RESULT,
    fetch: async (_url, init) => {
      posts.push({ webhookId: new Headers(init?.headers).get("webhook-id") });
      return new Response(null, { status: answers.shift() ?? 200 });
    },
    now: () => now,
    backoffBaseSeconds: 30,
    leaseMs: LEASE,
  };
  async function submit(id = "job_0123456789abcdef0123456789abcdef"): Promise<JobMessage> {
    const at = new Date(now).toISOString();
    const job: Job = {
      id,
      tenant: "acme",
      status: "queued",
      createdAt: at,
      updatedAt: at,
      request: { object: "bottle", map: "none", regions: false, webhookUrl: "https://receiver.example/x", imageBytes: 1 },
      webhookId: webhookIdOf(id),
      attempts: 0,
      deliveries: [],
    };
    await store.create(job, new Uint8Array([1]));
    return { tenant: "acme", jobId: id };
  }
  return {
    store,
    jobs,
    markers,
    cursors,
    sent,
    posts,
    deleted,
    recovery,
    jobDeps,
    submit,
    failNext: (...statuses: number[]) => {
      answers = statuses;
    },
    advance: (ms: number) => {
      now += ms;
    },
    job: (id: string) => jobs.get(id)!.job,
  };
}

describe("reconcileJobs", () => {
  it("re-enqueues a queued job whose message was lost once it is a lease past due, never before", async () => {
    const t = setup();
    const message = await t.submit();
    t.advance(LEASE - 1);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ scanned: 1, requeued: 0 });
    t.advance(1);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ scanned: 1, requeued: 1, complete: true });
    expect(t.sent).toEqual([{ ...message, dispatch: 1 }]);
    expect(t.job(message.jobId).dispatch).toBe(1);
    // The re-enqueued job is not stuck again until another lease has passed.
    expect(await reconcileJobs(t.recovery)).toMatchObject({ requeued: 0 });
    expect(await processJob({ body: t.sent[0]!, attempts: 1 }, t.jobDeps)).toEqual({ kind: "ack" });
    expect(t.posts).toEqual([{ webhookId: webhookIdOf(message.jobId) }]);
    expect(t.job(message.jobId).status).toBe("delivered");
    expect(t.markers.entries.size).toBe(0);
  });

  it("leaves a running job alone while its lease holds, and takes it back after", async () => {
    const t = setup();
    const message = await t.submit();
    const { job, version } = t.jobs.get(message.jobId)!;
    t.advance(10_000);
    const claimedAt = new Date(T0 + 10_000).toISOString();
    await t.store.replace({ ...job, status: "running", updatedAt: claimedAt, leaseUntil: new Date(T0 + 10_000 + LEASE).toISOString() }, version);
    t.advance(LEASE - 1);
    expect(isStuck(t.job(message.jobId), T0 + 10_000 + LEASE - 1, LEASE)).toBe(false);
    expect((await reconcileJobs(t.recovery)).requeued).toBe(0);
    t.advance(1);
    expect((await reconcileJobs(t.recovery)).requeued).toBe(1);
    // The consumer died mid-scoring: the resumed message scores and delivers.
    expect(await processJob({ body: t.sent[0]!, attempts: 1 }, t.jobDeps)).toEqual({ kind: "ack" });
    expect(t.job(message.jobId)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("resumes the retry schedule of a job killed after a failed attempt: same webhook id, next delay from the job's count", async () => {
    const t = setup();
    const message = await t.submit();
    t.failNext(500);
    expect(await processJob({ body: message, attempts: 1 }, t.jobDeps)).toEqual({ kind: "retry", delaySeconds: 30 });
    const failed = t.job(message.jobId);
    expect(failed).toMatchObject({ status: "succeeded", attempts: 1, nextAttemptAt: new Date(T0 + 30_000).toISOString() });
    // The queue's delayed retry is lost with the process. Due at +30 s: stuck at +30 s + lease, not before.
    t.advance(30_000 + LEASE - 1);
    expect((await reconcileJobs(t.recovery)).requeued).toBe(0);
    t.advance(1);
    expect((await reconcileJobs(t.recovery)).requeued).toBe(1);
    // Attempt 2 fails too: the delay is the second step of the schedule (60 s), although the message is on its first.
    t.failNext(503);
    expect(await processJob({ body: t.sent[0]!, attempts: 1 }, t.jobDeps)).toEqual({ kind: "retry", delaySeconds: 60 });
    expect(await processJob({ body: t.sent[0]!, attempts: 2 }, t.jobDeps)).toEqual({ kind: "ack" });
    expect(t.job(message.jobId)).toMatchObject({ status: "delivered", attempts: 3 });
    expect(new Set(t.posts.map((p) => p.webhookId))).toEqual(new Set([webhookIdOf(message.jobId)]));
    expect(t.posts).toHaveLength(3);
  });

  it("drops a message of the old chain once the job was re-enqueued, so a late original does not double the retries", async () => {
    const t = setup();
    const message = await t.submit();
    t.advance(LEASE);
    await reconcileJobs(t.recovery);
    expect(await processJob({ body: message, attempts: 1 }, t.jobDeps)).toEqual({ kind: "ack" });
    expect(t.posts).toEqual([]);
    expect(t.job(message.jobId).status).toBe("queued");
  });

  it("dead-letters a stuck job that has used all its attempts, and caps a resumed chain at the same count", async () => {
    const t = setup();
    const message = await t.submit();
    t.failNext(...Array(9).fill(500));
    for (let attempt = 1; attempt <= 4; attempt++) await processJob({ body: message, attempts: attempt }, t.jobDeps);
    t.advance(3_600_000 + LEASE);
    expect((await reconcileJobs(t.recovery)).requeued).toBe(1);
    const resumed = t.sent[0]!;
    const actions = [];
    for (let attempt = 1; attempt <= 5; attempt++) actions.push(await processJob({ body: resumed, attempts: attempt }, t.jobDeps));
    expect(actions.at(-1)).toEqual({ kind: "ack" });
    expect(t.job(message.jobId)).toMatchObject({
      status: "dead_lettered",
      attempts: 9,
      deliveryError: "webhook not delivered after 9 attempts; last error: HTTP 500",
    });
    expect(t.posts).toHaveLength(9);
    expect(t.markers.entries.size).toBe(0);

    // A job found stuck with its attempts used up is dead-lettered by the reconciler itself.
    const other = await t.submit("job_00000000000000000000000000000009");
    const { job, version } = t.jobs.get(other.jobId)!;
    await t.store.replace({ ...job, status: "succeeded", attempts: 9, deliveryError: "HTTP 503" }, version);
    t.advance(LEASE);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ deadLettered: 1, requeued: 0 });
    expect(t.job(other.jobId)).toMatchObject({ status: "dead_lettered", deliveryError: "webhook not delivered after 9 attempts; last error: HTTP 503" });
  });

  it("removes the upload of a job whose record was never written after the grace period, and clears markers of final jobs", async () => {
    const t = setup();
    t.markers.mark("acme", "job_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", T0);
    const done = await t.submit();
    await processJob({ body: done, attempts: 1 }, t.jobDeps);
    t.markers.mark("acme", done.jobId, T0); // as if the crash came between the final write and clearing the marker
    t.advance(GRACE - 1);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ scanned: 2, removedIncomplete: 0, cleared: 1 });
    expect(t.deleted).toEqual([]);
    t.advance(1);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ scanned: 1, removedIncomplete: 1 });
    expect(t.deleted).toEqual(["job_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]);
    expect(t.markers.entries.size).toBe(0);
  });

  it("bounds a run to maxPages pages and resumes the next run from the saved cursor", async () => {
    const t = setup();
    for (let i = 0; i < 25; i++) await t.submit(`job_${i.toString(16).padStart(32, "0")}`);
    t.advance(LEASE);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ scanned: 20, requeued: 20, complete: false });
    expect(t.cursors.saved.get("jobs")).toBe(`acme/job_${(19).toString(16).padStart(32, "0")}`);
    expect(await reconcileJobs(t.recovery)).toMatchObject({ scanned: 5, requeued: 5, complete: true });
    expect(t.cursors.saved.has("jobs")).toBe(false);
    expect(new Set(t.sent.map((m) => m.jobId)).size).toBe(25);
  });

  it("counts a job whose storage fails as an error and goes on with the others", async () => {
    const t = setup();
    await t.submit("job_00000000000000000000000000000001");
    await t.submit("job_00000000000000000000000000000002");
    t.advance(LEASE);
    const get = t.store.get;
    const failing = {
      ...t.recovery,
      store: { ...t.store, get: async (tenant: string, id: string) => (id.endsWith("1") ? Promise.reject(new Error("R2 down")) : get(tenant, id)) },
    };
    expect(await reconcileJobs(failing)).toMatchObject({ scanned: 2, requeued: 1, errors: 1 });
  });
});

describe("reconcileUploads", () => {
  it("deletes the data of a set left without a manifest after the grace period; keeps committed sets and young writes", async () => {
    let now = T0;
    const markers = memoryMarkers();
    const manifests = new Set(["acme/rs_committed"]);
    const data = new Set(["acme/rs_committed", "acme/rs_orphan", "acme/rs_young"]);
    markers.mark("acme", "rs_committed", T0);
    markers.mark("acme", "rs_orphan", T0);
    markers.mark("acme", "rs_young", T0 + 60_000);
    const deps = {
      markers,
      cursors: memoryCursors(),
      sets: {
        hasManifest: async (tenant: string, id: string) => manifests.has(`${tenant}/${id}`),
        deleteData: async (tenant: string, id: string) => void data.delete(`${tenant}/${id}`),
      },
      now: () => now,
      graceMs: GRACE,
      bounds: { pageSize: 2, maxPages: 5 },
    };
    now = T0 + GRACE - 1;
    expect(await reconcileUploads(deps)).toMatchObject({ scanned: 3, removed: 0, cleared: 0 });
    now = T0 + GRACE;
    expect(await reconcileUploads(deps)).toMatchObject({ scanned: 3, removed: 1, cleared: 1, complete: true });
    expect([...data].sort()).toEqual(["acme/rs_committed", "acme/rs_young"]);
    expect([...markers.entries.keys()]).toEqual(["acme/rs_young"]);
    now = T0 + 60_000 + GRACE;
    expect(await reconcileUploads(deps)).toMatchObject({ scanned: 1, removed: 1 });
    expect([...data]).toEqual(["acme/rs_committed"]);
  });
});
