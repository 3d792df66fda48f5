// API keys: the bootstrap secret's formats, hashing, and the order bootstrap -> store.
import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { authenticate, hashApiKey, parseBootstrapKeys } from "../../../src/usecases/api-keys";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const noStore = { tenantOf: async () => undefined };

describe("parseBootstrapKeys", () => {
  it("reads tenant:key and tenant:sha256:<hex> entries, ignoring whitespace", async () => {
    const keys = await parseBootstrapKeys(` acme:key-of-acme-0000000001 , beta:sha256:${sha("key-of-beta-0000000002").toUpperCase()} `);
    expect(keys).toEqual(
      new Map([
        [sha("key-of-acme-0000000001"), "acme"],
        [sha("key-of-beta-0000000002"), "beta"],
      ]),
    );
  });

  it("skips malformed entries without logging their content", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const keys = await parseBootstrapKeys("nocolon,Bad/Tenant:key-0000000000000001,ok:short,ok:sha256:abc,good:key-0000000000000002");
    expect([...keys.values()]).toEqual(["good"]);
    expect(warn).toHaveBeenCalledTimes(4);
    expect(warn.mock.calls.flat().join(" ")).not.toMatch(/key-0000000000000001|short/);
    warn.mockRestore();
  });
});

describe("authenticate", () => {
  it("finds bootstrap keys first, then asks the store by hash only", async () => {
    const tenantOf = vi.fn(async (hash: string) => (hash === sha("stored-key-00000000003") ? "gamma" : undefined));
    expect(await authenticate("key-of-acme-0000000001", "acme:key-of-acme-0000000001", { tenantOf })).toBe("acme");
    expect(tenantOf).not.toHaveBeenCalled();
    expect(await authenticate("stored-key-00000000003", "acme:key-of-acme-0000000001", { tenantOf })).toBe("gamma");
    expect(tenantOf).toHaveBeenCalledWith(sha("stored-key-00000000003"));
  });

  it("refuses malformed keys without hashing them, and tenants the store should not have", async () => {
    expect(await authenticate("short", undefined, noStore)).toBeUndefined();
    expect(await authenticate("has spaces in it 0000000", undefined, noStore)).toBeUndefined();
    expect(await authenticate("valid-looking-key-000001", undefined, { tenantOf: async () => "../other" })).toBeUndefined();
  });

  it("hashes with sha256 hex", async () => {
    expect(await hashApiKey("abc")).toBe(sha("abc"));
  });
});
