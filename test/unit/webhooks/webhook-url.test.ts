// Webhook URL policy: https to public hosts; literal private, loopback, link-local and reserved addresses and internal names refused.
import { describe, expect, it } from "vitest";
import { isReservedIpv6, parseIpv6 } from "../../../src/webhooks/ip-ranges";
import { checkWebhookUrl } from "../../../src/webhooks/webhook-url";

const strict = { allowPrivate: false };
const dev = { allowPrivate: true };

describe("checkWebhookUrl (production policy)", () => {
  it.each([
    "https://hooks.example.com/anomaly",
    "https://hooks.example.com:8443/a?b=c",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://receiver.example/x",
  ])("accepts %s", (url) => {
    expect(checkWebhookUrl(url, strict)).toMatchObject({ ok: true });
  });

  it.each([
    ["http://hooks.example.com/", /https/],
    ["ftp://hooks.example.com/", /https/],
    ["not a url", /absolute/],
    ["https://user:pw@hooks.example.com/", /credentials/],
    ["https://localhost/", /local/],
    ["https://LOCALHOST./", /local/],
    ["https://api.localhost/", /local/],
    ["https://printer.local/", /local/],
    ["https://metadata.google.internal/", /local/],
    ["https://router.home.arpa/", /local/],
    ["https://intranet/", /fully qualified/],
    ["https://127.0.0.1/", /IPv4/],
    ["https://127.1/", /IPv4/],
    ["https://0x7f000001/", /IPv4/],
    ["https://2130706433/", /IPv4/],
    ["https://0.0.0.0/", /IPv4/],
    ["https://10.1.2.3/", /IPv4/],
    ["https://172.16.0.1/", /IPv4/],
    ["https://172.31.255.255/", /IPv4/],
    ["https://192.168.1.1/", /IPv4/],
    ["https://169.254.169.254/latest/meta-data", /IPv4/],
    ["https://100.64.0.1/", /IPv4/],
    ["https://198.18.0.1/", /IPv4/],
    ["https://224.0.0.1/", /IPv4/],
    ["https://255.255.255.255/", /IPv4/],
    ["https://[::1]/", /IPv6/],
    ["https://[::]/", /IPv6/],
    ["https://[::ffff:127.0.0.1]/", /IPv6/],
    ["https://[::ffff:8.8.8.8]/", /IPv6/],
    ["https://[64:ff9b::a00:1]/", /IPv6/],
    ["https://[fe80::1]/", /IPv6/],
    ["https://[fd00::1]/", /IPv6/],
    ["https://[ff02::1]/", /IPv6/],
    ["https://[2001:db8::1]/", /IPv6/],
    ["https://[2002:7f00:1::]/", /IPv6/],
    [`https://a.example/${"x".repeat(2100)}`, /longer/],
  ])("refuses %s", (url, reason) => {
    const check = checkWebhookUrl(url, strict);
    expect(check.ok).toBe(false);
    expect(check.ok ? "" : check.reason).toMatch(reason);
  });

  it("keeps public neighbours of private blocks", () => {
    for (const host of ["172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "11.0.0.1", "192.169.0.1"]) {
      expect(checkWebhookUrl(`https://${host}/`, strict), host).toMatchObject({ ok: true });
    }
  });
});

describe("checkWebhookUrl (ALLOW_PRIVATE_WEBHOOKS=true)", () => {
  it("accepts http and loopback hosts, still refuses other schemes and credentials", () => {
    expect(checkWebhookUrl("http://127.0.0.1:8787/hook", dev)).toMatchObject({ ok: true });
    expect(checkWebhookUrl("http://localhost/hook", dev)).toMatchObject({ ok: true });
    expect(checkWebhookUrl("file:///etc/passwd", dev)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("http://a:b@localhost/", dev)).toMatchObject({ ok: false });
  });
});

describe("parseIpv6", () => {
  it("expands :: and embedded IPv4 tails", () => {
    expect(parseIpv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("2001:db8::8:800:200c:417a")).toEqual([0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]);
    expect(parseIpv6("::ffff:10.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6("1::2::3")).toBeUndefined();
    expect(parseIpv6("1:2:3:4:5:6:7")).toBeUndefined();
    expect(parseIpv6("12345::")).toBeUndefined();
  });

  it("reserves everything outside 2000::/3 and the special blocks inside it", () => {
    expect(isReservedIpv6(parseIpv6("2606:4700::1")!)).toBe(false);
    expect(isReservedIpv6(parseIpv6("2001:1ff::1")!)).toBe(true); // 2001::/23 ends at 2001:1ff:ffff:...
    expect(isReservedIpv6(parseIpv6("2001:200::1")!)).toBe(false);
    expect(isReservedIpv6(parseIpv6("2001:4860::1")!)).toBe(false);
    expect(isReservedIpv6(parseIpv6("3fff:fff::1")!)).toBe(true); // 3fff::/20
    expect(isReservedIpv6(parseIpv6("3fff:1000::1")!)).toBe(false);
  });
});
