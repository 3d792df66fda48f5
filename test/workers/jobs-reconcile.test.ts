// The reconciler in workerd over real local R2 and Queues: jobs whose queue message a crash lost are re-enqueued and
// delivered (same webhook id), and writes a crash left without their manifest or record are removed after the grace period.
import { createExecutionContext, createMessageBatch, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { pendingMarkerKey } from "../../src/platform/r2-pending-markers";
import { jobPrefix } from "../../src/platform/r2-job-store";
import { referenceSetKeys } from "../../src/platform/r2-reference-sets";
import type { JobMessage } from "../../src/usecases/jobs/job";
import type { R2Bucket } from "@cloudflare/workers-types";
import worker from "../../src/worker";
import { capturingApi, jsonPost, pngBase64, receivedWebhooks, receiverUrl, tenantKey } from "./jobs-helpers";
import { syntheticPng } from "./images";
import { postForm, seedBundle } from "./seed";

/** Periods of one second, so that a job is stuck and a marker stale after a short wait. */
const FAST = { JOB_LEASE_SECONDS: "1", UPLOAD_GRACE_SECONDS: "1" };
let key: string;
const api = capturingApi();

beforeAll(async () => {
  await seedBundle();
  key = await tenantKey("umbrella");
});

/** One run of the worker's scheduled handler (the Cron Trigger), with the short periods. */
async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), { ...env, ...FAST }, ctx);
  await waitOnExecutionContext(ctx);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface JobView {
  status: string;
  attempts: number;
  webhookId: string;
  deliveries: { status?: number }[];
}

async function job(id: string): Promise<JobView> {
  return (await api.call(`/v1/jobs/${id}`, key)).json();
}

async function waitFor(id: string, status: string, timeoutMs = 60_000): Promise<JobView> {
  for (const end = Date.now() + timeoutMs; ; await sleep(200)) {
    const view = await job(id);
    if (view.status === status) return view;
    if (Date.now() > end) throw new Error(`job ${id} still ${view.status}`);
  }
}

/** Submitted through the real app, but its queue message is captured and never sent: lost as in a crash after the 202. */
async function submitLost(mode: Parameters<typeof receiverUrl>[0], hookKey: string): Promise<JobMessage> {
  const response = await api.call("/v1/jobs", key, jsonPost({ object: "bottle", image: pngBase64(), webhookUrl: receiverUrl(mode, hookKey) }));
  expect(response.status).toBe(202);
  return api.sent.at(-1)!;
}

async function keysUnder(bucket: R2Bucket, prefix: string): Promise<string[]> {
  return (await bucket.list({ prefix })).objects.map((o) => o.key);
}

describe("reconciler (scheduled handler)", () => {
  it("re-enqueues a job whose message was lost after its 202 once a lease has passed; Miniflare's queue delivers it", async () => {
    const message = await submitLost("ok", "lost-202");
    expect(await keysUnder(env.JOBS, pendingMarkerKey("umbrella", message.jobId))).toHaveLength(1);
    await runCron(); // not a lease late yet: nothing sent
    await sleep(300);
    expect((await job(message.jobId)).status).toBe("queued");
    await sleep(1_100);
    await runCron();
    const done = await waitFor(message.jobId, "delivered");
    const hooks = await receivedWebhooks("lost-202");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.headers["webhook-id"]).toBe(done.webhookId);
    // Final: the marker is gone, so later runs no longer read the job.
    expect(await keysUnder(env.JOBS, pendingMarkerKey("umbrella", message.jobId))).toEqual([]);
  });

  it("resumes the retries of a job whose delayed retry was lost after a failed attempt: same webhook id", async () => {
    const message = await submitLost("fail-1", "lost-retry");
    // Attempt 1 through the worker's queue handler with a 1 s backoff; the retry it asks for is dropped (the crash).
    const batch = createMessageBatch<JobMessage>("edge-anomaly-jobs", [{ id: "m-lost-retry", timestamp: new Date(), attempts: 1, body: message }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, WEBHOOK_BACKOFF_BASE_SECONDS: "1" }, ctx);
    await waitOnExecutionContext(ctx);
    expect(await job(message.jobId)).toMatchObject({ status: "succeeded", attempts: 1, deliveries: [{ status: 500 }] });
    await sleep(2_100); // the retry was due after 1 s; a lease (1 s) later it is stuck
    await runCron();
    const done = await waitFor(message.jobId, "delivered");
    expect(done.attempts).toBe(2);
    const hooks = await receivedWebhooks("lost-retry");
    expect(hooks.map((h) => h.answered)).toEqual([500, 200]);
    expect(new Set(hooks.map((h) => h.headers["webhook-id"]))).toEqual(new Set([done.webhookId]));
  });

  it("removes the shots of a reference set whose creation crashed before its manifest, and keeps committed sets", async () => {
    const created = await postForm("/v1/reference-sets", { object: "bottle", images: [syntheticPng(96, 96, 1), syntheticPng(96, 96, 2)] });
    expect(created.status).toBe(201);
    const committed = ((await created.json()) as { id: string }).id;
    expect(await keysUnder(env.REFERENCE_SETS, "pending/")).toEqual([]);
    // What a crash between the shots and the manifest leaves: the marker and the shots (the write order of createReferenceSet).
    const orphan = "rs_0123456789abcdef01234567";
    await env.REFERENCE_SETS.put(pendingMarkerKey("tenant-a", orphan), new Uint8Array());
    for (let i = 0; i < 3; i++) await env.REFERENCE_SETS.put(referenceSetKeys.shot("tenant-a", orphan, i), syntheticPng(96, 96, i));
    // And a job upload whose record was never written.
    const jobId = "job_0123456789abcdef0123456789abcdef";
    await env.JOBS.put(pendingMarkerKey("umbrella", jobId), new Uint8Array());
    await env.JOBS.put(`${jobPrefix("umbrella", jobId)}image`, syntheticPng(32, 32));

    await runCron(); // younger than the grace period: kept
    expect(await keysUnder(env.REFERENCE_SETS, referenceSetKeys.data("tenant-a", orphan))).toHaveLength(3);
    await sleep(1_100);
    await runCron();
    expect(await keysUnder(env.REFERENCE_SETS, referenceSetKeys.data("tenant-a", orphan))).toEqual([]);
    expect(await keysUnder(env.REFERENCE_SETS, "pending/")).toEqual([]);
    expect(await keysUnder(env.JOBS, jobPrefix("umbrella", jobId))).toEqual([]);
    expect(await keysUnder(env.JOBS, pendingMarkerKey("umbrella", jobId))).toEqual([]);
    // The committed set is whole and still served.
    expect(await keysUnder(env.REFERENCE_SETS, referenceSetKeys.data("tenant-a", committed))).not.toHaveLength(0);
    const got = await exports.default.fetch(`http://worker/v1/reference-sets/${committed}`, {
      headers: { authorization: "Bearer test-key-tenant-a-000000000001" },
    });
    expect(got.status).toBe(200);
  });
});
