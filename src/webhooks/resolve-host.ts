// Resolves a webhook host through DNS-over-HTTPS (JSON API) and requires every address to be public.
import { isReservedIpv4, isReservedIpv6, parseIpv4, parseIpv6 } from "./ip-ranges";

/** Cloudflare's DNS-over-HTTPS JSON endpoint; Workers have no resolver API of their own. */
export const DEFAULT_DOH_URL = "https://cloudflare-dns.com/dns-query";

const TYPE_A = 1;
const TYPE_AAAA = 28;

interface DohAnswer {
  Status?: number;
  Answer?: { type?: number; data?: string }[];
}

/**
 * `refused`: the DNS answer itself rules the host out (no such name, no address, a private address). `unavailable`:
 * no usable answer (resolver unreachable, timed out, answered an error or SERVFAIL): the host is neither good nor bad
 * yet, and the caller may try again later.
 */
export type HostResolution = { ok: true; addresses: string[] } | { ok: false; kind: "refused" | "unavailable"; reason: string };

const DNS_SERVFAIL = 2;
const DNS_REFUSED = 5;

const unavailable = (reason: string): HostResolution => ({ ok: false, kind: "unavailable", reason });
const refused = (reason: string): HostResolution => ({ ok: false, kind: "refused", reason });

/**
 * A and AAAA records of `hostname`. Fails closed: a resolver error, a timeout, no address at all, or any address in
 * a private, loopback, link-local or reserved range is a refusal. Names can still be re-pointed after this check
 * (DNS rebinding); deliveries leave from Cloudflare's edge, which has no route into private networks.
 */
export async function resolvePublicHost(hostname: string, fetcher: typeof fetch, dohUrl = DEFAULT_DOH_URL, timeoutMs = 5000): Promise<HostResolution> {
  const addresses: string[] = [];
  for (const type of ["A", "AAAA"] as const) {
    let answer: DohAnswer;
    try {
      const url = `${dohUrl}?name=${encodeURIComponent(hostname)}&type=${type}`;
      const response = await fetcher(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) {
        await response.body?.cancel();
        return unavailable(`the DNS resolver answered HTTP ${response.status}`);
      }
      answer = (await response.json()) as DohAnswer;
    } catch (e) {
      return unavailable(`the DNS resolver could not be reached (${e instanceof Error ? e.message : String(e)})`);
    }
    if (answer === null || typeof answer !== "object") return unavailable("the DNS resolver gave an unreadable answer");
    if (answer.Status === DNS_SERVFAIL || answer.Status === DNS_REFUSED) {
      return unavailable(`the DNS resolver could not answer for the host (DNS status ${answer.Status})`);
    }
    // Status 3 is NXDOMAIN; anything else but 0 (NOERROR) leaves the name unresolved.
    if (answer.Status !== 0) return refused(`the host does not resolve (DNS status ${answer.Status ?? "missing"})`);
    for (const record of answer.Answer ?? []) {
      if (record.type !== TYPE_A && record.type !== TYPE_AAAA) continue; // CNAMEs on the way
      const data = record.data ?? "";
      const v4 = record.type === TYPE_A ? parseIpv4(data) : undefined;
      const v6 = record.type === TYPE_AAAA ? parseIpv6(data) : undefined;
      if (v4 === undefined && v6 === undefined) return refused(`unreadable DNS address ${data}`);
      if ((v4 !== undefined && isReservedIpv4(v4)) || (v6 !== undefined && isReservedIpv6(v6))) {
        return refused(`the host resolves to a private, loopback, link-local or reserved address (${data})`);
      }
      addresses.push(data);
    }
  }
  return addresses.length > 0 ? { ok: true, addresses } : refused("the host has no A or AAAA record");
}
