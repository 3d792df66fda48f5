// Standard Webhooks signing: the spec's published vector, secrets' shape, and a cross-check with node:crypto.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhook, webhookHeaders, webhookSecretKey } from "../../../src/webhooks/signature";

describe("signWebhook", () => {
  it("reproduces the Standard Webhooks reference vector", async () => {
    const signature = await signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("agrees with node:crypto's HMAC over id.timestamp.body, keyed by the decoded secret", async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: "score.completed", data: { jobId: "job_1", result: { score: 0.25, note: "ü" } } });
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update(`msg_1.1700000000.${body}`)
      .digest("base64");
    expect(await webhookHeaders(secret, "msg_1", 1700000000, body)).toEqual({
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": `v1,${expected}`,
    });
  });
});

describe("generateWebhookSecret", () => {
  it("is whsec_ + base64 of 32 random bytes, new each time", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhookSecretKey(a).length).toBe(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("refuses a key without the whsec_ prefix", () => {
    expect(() => webhookSecretKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow(/whsec_/);
  });
});
