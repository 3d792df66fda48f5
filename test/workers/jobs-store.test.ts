// The R2 stores under the consumer's guarantees: create-once secrets under a race, compare-and-swap job records.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { r2JobStore } from "../../src/platform/r2-job-store";
import { r2WebhookSecretStore } from "../../src/platform/r2-webhook-secrets";
import { newJobId, webhookIdOf, type Job } from "../../src/usecases/jobs/job";

describe("r2WebhookSecretStore", () => {
  it("gives two racing first uses the same secret", async () => {
    const store = r2WebhookSecretStore(env.JOBS);
    const secrets = await Promise.all([store.getOrCreate("hooli"), store.getOrCreate("hooli"), store.getOrCreate("hooli")]);
    expect(new Set(secrets).size).toBe(1);
    expect(await store.getOrCreate("hooli")).toBe(secrets[0]);
  });
});

describe("r2JobStore", () => {
  it("replaces a record only from the version it was read at", async () => {
    const store = r2JobStore(env.JOBS);
    const id = newJobId();
    const now = new Date().toISOString();
    const job: Job = {
      id,
      tenant: "hooli",
      status: "queued",
      createdAt: now,
      updatedAt: now,
      request: { object: "bottle", map: "png", regions: true, webhookUrl: "https://receiver.example/ok/x", imageBytes: 3 },
      webhookId: webhookIdOf(id),
      attempts: 0,
      deliveries: [],
    };
    await store.create(job, new Uint8Array([1, 2, 3]));
    const read = (await store.get("hooli", id))!;
    const next = await store.replace({ ...read.job, status: "running" }, read.version);
    expect(next).toBeTypeOf("string");
    expect(await store.replace({ ...read.job, status: "failed" }, read.version)).toBeUndefined();
    expect((await store.get("hooli", id))!.job.status).toBe("running");
    expect(await store.image("hooli", id)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await store.get("other", id)).toBeUndefined();
  });
});
