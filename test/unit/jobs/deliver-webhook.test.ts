// One webhook POST: 2xx is success; 3xx (not followed), 5xx, timeouts and connection errors are failed attempts.
import { describe, expect, it } from "vitest";
import { deliverWebhook, type WebhookDelivery } from "../../../src/usecases/jobs/deliver-webhook";
import { generateWebhookSecret } from "../../../src/webhooks/signature";

const delivery: WebhookDelivery = {
  url: "https://receiver.example/hook",
  secret: generateWebhookSecret(),
  webhookId: "msg_1",
  event: { type: "score.failed", data: { jobId: "job_1", error: { code: "corrupt_image", message: "bad" } } },
  timestamp: 1700000000,
};

const answering =
  (status: number): typeof fetch =>
  async () =>
    new Response(null, { status });

describe("deliverWebhook", () => {
  it("POSTs the event JSON with the Standard Webhooks headers, without following redirects", async () => {
    let seen: RequestInit | undefined;
    const outcome = await deliverWebhook(async (_url, init) => {
      seen = init;
      return new Response(null, { status: 200 });
    }, delivery);
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(seen).toMatchObject({ method: "POST", redirect: "manual", body: JSON.stringify(delivery.event) });
    const headers = seen!.headers as Record<string, string>;
    expect([headers["webhook-id"], headers["webhook-timestamp"], headers["content-type"]]).toEqual(["msg_1", "1700000000", "application/json"]);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("counts 3xx and 5xx as failures", async () => {
    expect(await deliverWebhook(answering(307), delivery)).toMatchObject({ ok: false, status: 307, error: "HTTP 307" });
    expect(await deliverWebhook(answering(503), delivery)).toMatchObject({ ok: false, status: 503, error: "HTTP 503" });
  });

  it("gives up on a receiver that does not answer in time", async () => {
    const hanging: typeof fetch = (_url, init) => new Promise((_, reject) => init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason)));
    const outcome = await deliverWebhook(hanging, delivery, 50);
    expect(outcome).toMatchObject({ ok: false, error: "no answer within 50 ms" });
    expect(outcome.status).toBeUndefined();
  });

  it("reports connection errors", async () => {
    const refusing: typeof fetch = async () => {
      throw new TypeError("connection refused");
    };
    expect(await deliverWebhook(refusing, delivery)).toMatchObject({ ok: false, error: "request failed: connection refused" });
  });
});
