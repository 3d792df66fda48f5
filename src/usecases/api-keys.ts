// API keys -> tenants: keys are only ever compared as sha256 hashes, from the bootstrap secret or the key store.
import { sha256Hex } from "../engine/runtime/bundle-manifest";

/** Tenant names: they become R2 key segments, so no '/', '.', or anything beyond this. */
export const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** What a presented key may look like before it is hashed (visible ASCII, RFC 6750 b64token-ish). */
export const API_KEY_SHAPE = /^[A-Za-z0-9._~+/=-]{16,256}$/;
const HASH = /^[0-9a-f]{64}$/;

/** Where keys issued after deployment live: sha256(key) -> tenant. */
export interface ApiKeyStore {
  tenantOf(keyHash: string): Promise<string | undefined>;
}

/** One encoder for every request (a new one per key check was a runtime object left to a full collection). */
const utf8 = new TextEncoder();

export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(utf8.encode(key));
}

/**
 * The bootstrap secret API_KEYS: comma-separated `tenant:key` or `tenant:sha256:<64 hex>` entries (whitespace
 * ignored). Malformed entries are skipped with a logged warning that names their position, never their content.
 */
export async function parseBootstrapKeys(spec: string): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  const entries = spec
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(":");
    const tenant = entry.slice(0, colon);
    const secret = entry.slice(colon + 1);
    const hashed = secret.startsWith("sha256:") ? secret.slice("sha256:".length).toLowerCase() : undefined;
    if (colon < 1 || !TENANT_NAME.test(tenant) || (hashed !== undefined ? !HASH.test(hashed) : !API_KEY_SHAPE.test(secret))) {
      console.warn(`API_KEYS entry ${i + 1} is malformed (want tenant:key or tenant:sha256:<hex>, keys of 16+ characters): skipped`);
      continue;
    }
    keys.set(hashed ?? (await hashApiKey(secret)), tenant);
  }
  return keys;
}

const parsed = new Map<string, Promise<Map<string, string>>>();

function bootstrapKeys(spec: string | undefined): Promise<Map<string, string>> {
  if (!spec) return Promise.resolve(new Map());
  let keys = parsed.get(spec);
  if (!keys) {
    keys = parseBootstrapKeys(spec);
    parsed.set(spec, keys);
  }
  return keys;
}

/** The tenant of a presented key, or undefined: the bootstrap secret first, then the store. */
export async function authenticate(key: string, bootstrap: string | undefined, store: ApiKeyStore): Promise<string | undefined> {
  if (!API_KEY_SHAPE.test(key)) return undefined;
  const hash = await hashApiKey(key);
  const tenant = (await bootstrapKeys(bootstrap)).get(hash) ?? (await store.tenantOf(hash));
  return tenant !== undefined && TENANT_NAME.test(tenant) ? tenant : undefined;
}
