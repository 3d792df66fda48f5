// WebhookSecretStore on R2 (strongly consistent, unlike KV): webhook-secrets/<tenant>.json, created at most once.
import type { R2Bucket } from "@cloudflare/workers-types";
import { z } from "zod";
import type { WebhookSecretStore } from "../usecases/jobs/job-store";
import { generateWebhookSecret } from "../webhooks/signature";

const storedSecret = z.object({ secret: z.string().startsWith("whsec_"), createdAt: z.string() });

export function webhookSecretObjectKey(tenant: string): string {
  return `webhook-secrets/${encodeURIComponent(tenant)}.json`;
}

export function r2WebhookSecretStore(bucket: R2Bucket): WebhookSecretStore {
  const read = async (key: string) => {
    const object = await bucket.get(key);
    return object ? storedSecret.parse(await object.json()).secret : undefined;
  };
  return {
    async getOrCreate(tenant) {
      const key = webhookSecretObjectKey(tenant);
      const existing = await read(key);
      if (existing) return existing;
      const fresh = { secret: generateWebhookSecret(), createdAt: new Date().toISOString() };
      // Create-only put: of two first uses racing, one write wins and both return the winner's secret.
      const written = await bucket.put(key, JSON.stringify(fresh), { onlyIf: { etagDoesNotMatch: "*" } });
      if (written) return fresh.secret;
      const winner = await read(key);
      if (!winner) throw new Error(`webhook secret of ${tenant} neither created nor readable`);
      return winner;
    },
  };
}
