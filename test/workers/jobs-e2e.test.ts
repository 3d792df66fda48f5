// Jobs end to end through the real worker: POST /v1/jobs, Miniflare's queue runs the consumer, the receiver gets the webhook.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonPost, MAX_ATTEMPTS, pngBase64, receivedWebhooks, receiverUrl, tenantKey } from "./jobs-helpers";
import { seedBundle } from "./seed";
import { verifyStandardWebhook } from "./verify-webhook";

let key: string;

beforeAll(async () => {
  await seedBundle();
  key = await tenantKey("initech");
});

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://worker${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });
}

/** Polls GET /v1/jobs/{id} until `done` holds; returns the job and how long that took. */
async function waitFor(id: string, done: (job: { status: string }) => boolean, timeoutMs = 60_000) {
  const start = Date.now();
  for (;;) {
    const job = (await (await call(`/v1/jobs/${id}`)).json()) as { status: string; attempts: number; webhookId: string; deliveryError?: string };
    if (done(job)) return { job, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("jobs through Miniflare's queue", () => {
  it("delivers a signed webhook without any test driving the consumer", async () => {
    const secret = ((await (await call("/v1/webhook-secret")).json()) as { secret: string }).secret;
    const response = await call("/v1/jobs", jsonPost({ object: "bottle", image: pngBase64(), webhookUrl: receiverUrl("ok", "e2e") }));
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const { job, ms } = await waitFor(id, (j) => j.status === "delivered");
    expect(job.attempts).toBe(1);
    const hooks = await receivedWebhooks("e2e");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.headers["webhook-id"]).toBe(job.webhookId);
    expect(await verifyStandardWebhook(secret, hooks[0]!.headers, hooks[0]!.body)).toBe(true);
    console.log(`end to end: POST /v1/jobs -> delivered in ${ms} ms (queue batch timeout 1 s)`);
  });

  it("accepts a multipart job (the image as a file part, webhookUrl a field), as curl -F sends it, and delivers it", async () => {
    const form = new FormData();
    form.append("object", "bottle");
    form.append("image", new Blob([Uint8Array.from(atob(pngBase64()), (ch) => ch.charCodeAt(0))], { type: "image/png" }), "x.png");
    form.append("webhookUrl", receiverUrl("ok", "e2e-multipart"));
    form.append("regions", "false");
    form.append("map", "none");
    const response = await call("/v1/jobs", { method: "POST", body: form });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(response.headers.get("location")).toBe(`/v1/jobs/${id}`);
    await waitFor(id, (j) => j.status === "delivered");
    const hooks = await receivedWebhooks("e2e-multipart");
    expect(hooks).toHaveLength(1);
    const event = JSON.parse(hooks[0]!.body) as { type: string; data: { jobId: string; result: { object: string; map: unknown; regions: unknown } } };
    expect(event).toMatchObject({ type: "score.completed", data: { jobId: id, result: { object: "bottle", map: null, regions: null } } });
  });

  it("dead-letters through wrangler.toml's max_retries and dead-letter queue (backoff base 0 s in the tests)", async () => {
    const response = await call("/v1/jobs", jsonPost({ object: "bottle", image: pngBase64(), webhookUrl: receiverUrl("fail", "e2e-dead") }));
    const { id } = (await response.json()) as { id: string };
    const { job, ms } = await waitFor(id, (j) => j.status === "dead_lettered");
    expect(job.attempts).toBe(MAX_ATTEMPTS);
    expect(await receivedWebhooks("e2e-dead")).toHaveLength(MAX_ATTEMPTS);
    console.log(`end to end: ${MAX_ATTEMPTS} failed attempts -> dead_lettered in ${ms} ms`);
  });
});
