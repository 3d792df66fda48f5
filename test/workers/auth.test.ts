// API keys in workerd: Bearer keys from the bootstrap secret (plain and hashed) and from KV; 401 otherwise.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeyKvKey } from "../../src/platform/kv-api-keys";
import { hashApiKey } from "../../src/usecases/api-keys";
import { call, callAs, expectError, KEYS, seedBundle } from "./seed";

beforeAll(async () => {
  await seedBundle();
});

const protectedRoutes: [string, string][] = [
  ["POST", "/v1/score"],
  ["POST", "/v1/reference-sets"],
  ["GET", "/v1/reference-sets"],
  ["GET", "/v1/reference-sets/rs_000000000000000000000000"],
  ["DELETE", "/v1/reference-sets/rs_000000000000000000000000"],
  ["POST", "/v1/reference-sets/rs_000000000000000000000000/reembed"],
];

describe("Authorization: Bearer <key>", () => {
  it("answers 401 unauthorized with WWW-Authenticate on every protected route without a key", async () => {
    for (const [method, path] of protectedRoutes) {
      const response = await call(path, { method });
      expect(response.headers.get("www-authenticate"), `${method} ${path}`).toMatch(/^Bearer/);
      await expectError(response, 401, "unauthorized");
    }
  });

  it("answers 401 to an unknown key, a malformed header and another scheme", async () => {
    await expectError(await callAs("not-a-key-of-anyone-at-all", "/v1/reference-sets"), 401, "unauthorized");
    await expectError(await call("/v1/reference-sets", { headers: { authorization: "Bearer" } }), 401, "unauthorized");
    await expectError(await call("/v1/reference-sets", { headers: { authorization: `Basic ${btoa("a:b")}` } }), 401, "unauthorized");
    await expectError(await callAs("short", "/v1/reference-sets"), 401, "unauthorized");
  });

  it("checks the key before reading the body", async () => {
    const response = await call("/v1/score", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    await expectError(response, 401, "unauthorized");
  });

  it("accepts bootstrap keys given in plain (tenant-a) and as sha256 (tenant-b)", async () => {
    expect((await callAs(KEYS.a, "/v1/reference-sets")).status).toBe(200);
    expect((await callAs(KEYS.b, "/v1/reference-sets")).status).toBe(200);
  });

  it("accepts a key stored hashed in the TENANT_KEYS namespace, and refuses one that is not stored", async () => {
    const key = "kv-issued-key-for-tenant-c-0001";
    await env.TENANT_KEYS.put(apiKeyKvKey(await hashApiKey(key)), JSON.stringify({ tenant: "tenant-c" }));
    expect((await callAs(key, "/v1/reference-sets")).status).toBe(200);
    await env.TENANT_KEYS.delete(apiKeyKvKey(await hashApiKey(key)));
    const other = "kv-issued-key-never-stored-0002";
    await expectError(await callAs(other, "/v1/reference-sets"), 401, "unauthorized");
  });

  it("needs no key for health and the OpenAPI document", async () => {
    expect((await call("/v1/health")).status).toBe(200);
    expect((await call("/openapi.json")).status).toBe(200);
  });

  it("hides unknown /v1 paths behind the key check", async () => {
    await expectError(await call("/v1/secret-admin"), 401, "unauthorized");
  });
});
