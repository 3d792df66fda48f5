// The job consumer in workerd, driven attempt by attempt: scoring, signed delivery, retries with backoff, dead letters, no duplicates.
import { beforeAll, describe, expect, it } from "vitest";
import type { JobMessage } from "../../src/usecases/jobs/job";
import { capturingApi, DEAD_LETTER_QUEUE, jsonPost, MAX_ATTEMPTS, pngBase64, receivedWebhooks, receiverUrl, runConsumer, tenantKey } from "./jobs-helpers";
import { seedBundle } from "./seed";
import { verifyStandardWebhook } from "./verify-webhook";

let key: string;
let secret: string;
const api = capturingApi();

beforeAll(async () => {
  await seedBundle();
  key = await tenantKey("acme");
  secret = ((await (await api.call("/v1/webhook-secret", key)).json()) as { secret: string }).secret;
});

interface JobView {
  id: string;
  status: string;
  attempts: number;
  webhookId: string;
  deliveries: { attempt: number; status?: number; error?: string }[];
  deliveryError?: string;
  error?: { code: string; message: string };
  result?: { object: string; score: number; mode: string };
}

/** Submits a job whose webhook goes to the receiver under `hookKey`; returns the captured queue message. */
async function submit(mode: Parameters<typeof receiverUrl>[0], hookKey: string, fields: Record<string, unknown> = {}): Promise<JobMessage> {
  const before = api.sent.length;
  const response = await api.call("/v1/jobs", key, jsonPost({ object: "bottle", image: pngBase64(), webhookUrl: receiverUrl(mode, hookKey), ...fields }));
  const text = await response.text();
  expect(response.status, text).toBe(202);
  const { id, status } = JSON.parse(text) as { id: string; status: string };
  expect(status).toBe("queued");
  expect(response.headers.get("location")).toBe(`/v1/jobs/${id}`);
  expect(api.sent.slice(before)).toEqual([{ tenant: "acme", jobId: id }]);
  return api.sent.at(-1)!;
}

async function job(id: string): Promise<JobView> {
  const response = await api.call(`/v1/jobs/${id}`, key);
  expect(response.status).toBe(200);
  return response.json();
}

describe("job consumer", () => {
  it("scores, stores the result and POSTs a score.completed webhook that verifies; a redelivery does not POST again", async () => {
    const message = await submit("ok", "happy");
    expect((await job(message.jobId)).status).toBe("queued");
    const start = Date.now();
    const first = await runConsumer(message, 1);
    const ms = Date.now() - start;
    expect(first).toEqual({ acked: true });

    const done = await job(message.jobId);
    expect(done).toMatchObject({ status: "delivered", attempts: 1, deliveries: [{ attempt: 1, status: 204 }] });
    expect(done.result).toMatchObject({ object: "bottle", mode: "zero-shot" });

    const [hook, ...more] = await receivedWebhooks("happy");
    expect(more).toEqual([]);
    expect(hook!.method).toBe("POST");
    expect(hook!.headers["content-type"]).toBe("application/json");
    expect(hook!.headers["webhook-id"]).toBe(done.webhookId);
    expect(Math.abs(Number(hook!.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(120);
    expect(await verifyStandardWebhook(secret, hook!.headers, hook!.body)).toBe(true);
    expect(await verifyStandardWebhook(secret, hook!.headers, hook!.body.replace("bottle", "bottlf"))).toBe(false);
    expect(JSON.parse(hook!.body)).toEqual({ type: "score.completed", data: { jobId: message.jobId, result: done.result } });

    // The queue delivers at least once: the same message again (a redelivery) is acked without a second POST.
    const again = await runConsumer(message, 2);
    expect(again).toEqual({ acked: true });
    expect(await receivedWebhooks("happy")).toHaveLength(1);
    expect((await job(message.jobId)).attempts).toBe(1);
    console.log(`job consumer, first attempt (score + store + webhook): ${ms} ms; webhook body ${hook!.body.length} bytes`);
  });

  it("retries a receiver that fails twice with 30 s then 60 s backoff: three attempts, one success, one webhook-id", async () => {
    const message = await submit("fail-2", "flaky");
    const first = await runConsumer(message, 1);
    expect(first).toEqual({ acked: false, retryDelay: 30 });
    expect(await job(message.jobId)).toMatchObject({ status: "succeeded", attempts: 1, deliveryError: "HTTP 500" });
    const second = await runConsumer(message, 2);
    expect(second).toEqual({ acked: false, retryDelay: 60 });
    const third = await runConsumer(message, 3);
    expect(third).toEqual({ acked: true });

    const done = await job(message.jobId);
    expect(done.status).toBe("delivered");
    expect(done.attempts).toBe(3);
    expect(done.deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(done.deliveryError).toBeUndefined();
    const hooks = await receivedWebhooks("flaky");
    expect(hooks.map((h) => h.answered)).toEqual([500, 500, 200]);
    expect(new Set(hooks.map((h) => h.headers["webhook-id"]))).toEqual(new Set([done.webhookId]));
    for (const h of hooks) expect(await verifyStandardWebhook(secret, h.headers, h.body)).toBe(true);
    // Scored once: every attempt carries the same stored result.
    expect(new Set(hooks.map((h) => h.body)).size).toBe(1);
  });

  it("dead-letters a job whose receiver always fails, after max_retries + 1 attempts with capped exponential backoff", async () => {
    const message = await submit("fail", "down");
    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const run = await runConsumer(message, attempt);
      expect(run.acked).toBe(false);
      delays.push(run.retryDelay!);
    }
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect((await job(message.jobId)).status).toBe("succeeded");
    // The queue now moves the message to the dead-letter queue, which the same worker consumes.
    const dead = await runConsumer(message, 1, DEAD_LETTER_QUEUE);
    expect(dead).toEqual({ acked: true });
    const view = await job(message.jobId);
    expect(view).toMatchObject({ status: "dead_lettered", attempts: MAX_ATTEMPTS });
    expect(view.deliveryError).toBe(`webhook not delivered after ${MAX_ATTEMPTS} attempts; last error: HTTP 503`);
    expect(view.result?.object).toBe("bottle");
    // Dead is final: a stray redelivery neither POSTs nor changes the job.
    await runConsumer(message, 10);
    expect(await receivedWebhooks("down")).toHaveLength(MAX_ATTEMPTS);
    expect((await job(message.jobId)).status).toBe("dead_lettered");
  });

  it("sends score.failed for an image that passes the header checks but does not decode", async () => {
    const png = Uint8Array.from(atob(pngBase64()), (c) => c.charCodeAt(0));
    const headerOnly = btoa(String.fromCharCode(...png.subarray(0, 33))); // signature + IHDR: valid size, no data
    const message = await submit("ok", "broken", { image: headerOnly });
    expect(await runConsumer(message, 1)).toEqual({ acked: true });
    const view = await job(message.jobId);
    expect(view).toMatchObject({ status: "delivered", attempts: 1, error: { code: "corrupt_image" } });
    expect(view.result).toBeUndefined();
    const [hook] = await receivedWebhooks("broken");
    expect(await verifyStandardWebhook(secret, hook!.headers, hook!.body)).toBe(true);
    expect(JSON.parse(hook!.body)).toEqual({ type: "score.failed", data: { jobId: message.jobId, error: view.error } });
  });

  it("does not follow a redirect from the receiver: a 3xx is a failed attempt", async () => {
    const message = await submit("redirect", "bounce");
    expect(await runConsumer(message, 1)).toEqual({ acked: false, retryDelay: 30 });
    expect(await job(message.jobId)).toMatchObject({ status: "succeeded", deliveries: [{ status: 307 }] });
    expect(await receivedWebhooks("bounce")).toHaveLength(1);
  });

  it("drops a message whose job does not exist, and one that is not a job message", async () => {
    expect(await runConsumer({ tenant: "acme", jobId: "job_00000000000000000000000000000000" }, 1)).toEqual({ acked: true });
    expect(await runConsumer({ hello: "world" } as unknown as JobMessage, 1)).toEqual({ acked: true });
  });
});
