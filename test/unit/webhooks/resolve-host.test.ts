// Webhook host resolution over DNS-over-HTTPS: public addresses pass; private ones, no answer and resolver errors fail.
import { describe, expect, it } from "vitest";
import { resolvePublicHost } from "../../../src/webhooks/resolve-host";

function resolver(zone: Record<string, { A?: string[]; AAAA?: string[]; status?: number }>, seen: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    seen.push(`${url.searchParams.get("type")} ${url.searchParams.get("name")} ${new Headers(init?.headers).get("accept")}`);
    const entry = zone[url.searchParams.get("name")!];
    if (!entry) return Response.json({ Status: 3 });
    const type = url.searchParams.get("type") as "A" | "AAAA";
    const records = [{ type: 5, data: "alias.example." }, ...(entry[type] ?? []).map((data) => ({ type: type === "A" ? 1 : 28, data }))];
    return Response.json({ Status: entry.status ?? 0, Answer: records });
  }) as typeof fetch;
}

describe("resolvePublicHost", () => {
  it("accepts a host whose A and AAAA records are all public, asking for both in the JSON format", async () => {
    const seen: string[] = [];
    const r = await resolvePublicHost("hooks.example", resolver({ "hooks.example": { A: ["93.184.216.34"], AAAA: ["2606:2800:220:1::1"] } }, seen));
    expect(r).toEqual({ ok: true, addresses: ["93.184.216.34", "2606:2800:220:1::1"] });
    expect(seen).toEqual(["A hooks.example application/dns-json", "AAAA hooks.example application/dns-json"]);
  });

  it.each([
    ["one private A among public ones", { A: ["93.184.216.34", "192.168.1.9"] }, /192\.168\.1\.9/],
    ["loopback", { A: ["127.0.0.1"] }, /127\.0\.0\.1/],
    ["cloud metadata", { A: ["169.254.169.254"] }, /169\.254\.169\.254/],
    ["unique-local IPv6", { AAAA: ["fd12::1"] }, /fd12::1/],
    ["no address records", {}, /no A or AAAA/],
  ])("refuses %s", async (_, entry, reason) => {
    const r = await resolvePublicHost("hooks.example", resolver({ "hooks.example": entry }));
    expect(r).toMatchObject({ ok: false, kind: "refused" });
    expect(r.ok ? "" : r.reason).toMatch(reason);
  });

  it("refuses an unknown name (NXDOMAIN)", async () => {
    expect(await resolvePublicHost("missing.example", resolver({}))).toMatchObject({ ok: false, kind: "refused", reason: expect.stringMatching(/status 3/) });
  });

  it("fails closed, as unavailable (not a verdict on the host), when the resolver errors, cannot answer or cannot be reached", async () => {
    const down = (async () => new Response("busy", { status: 503 })) as unknown as typeof fetch;
    expect(await resolvePublicHost("hooks.example", down)).toMatchObject({ ok: false, kind: "unavailable", reason: expect.stringMatching(/503/) });
    const broken = (async () => {
      throw new Error("network down");
    }) as unknown as typeof fetch;
    expect(await resolvePublicHost("hooks.example", broken)).toMatchObject({ ok: false, kind: "unavailable", reason: expect.stringMatching(/network down/) });
    const notJson = (async () => new Response("<html>", { status: 200 })) as unknown as typeof fetch;
    expect(await resolvePublicHost("hooks.example", notJson)).toMatchObject({ ok: false, kind: "unavailable" });
    for (const status of [2, 5]) {
      const r = await resolvePublicHost("hooks.example", resolver({ "hooks.example": { status } }));
      expect(r).toMatchObject({ ok: false, kind: "unavailable", reason: expect.stringMatching(new RegExp(`DNS status ${status}`)) });
    }
  });
});
