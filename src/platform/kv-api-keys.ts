// API keys in KV: `key/<sha256 hex of the key>` -> {"tenant": "..."}; the key itself is never stored.
import type { KVNamespace } from "@cloudflare/workers-types";
import { z } from "zod";
import type { ApiKeyStore } from "../usecases/api-keys";

const entrySchema = z.object({ tenant: z.string() });

export function apiKeyKvKey(keyHash: string): string {
  return `key/${keyHash}`;
}

/** KV's edge cache holds an entry this long: a revoked key can work for up to a minute more. */
const CACHE_TTL_SECONDS = 60;

export function kvApiKeyStore(kv: KVNamespace): ApiKeyStore {
  return {
    async tenantOf(keyHash) {
      const value = await kv.get(apiKeyKvKey(keyHash), { type: "json", cacheTtl: CACHE_TTL_SECONDS });
      const parsed = entrySchema.safeParse(value);
      return parsed.success ? parsed.data.tenant : undefined;
    },
  };
}
