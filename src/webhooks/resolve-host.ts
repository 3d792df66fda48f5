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

export type HostResolution = { ok: true; addresses: string[] } | { ok: false; reason: string };

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
      if (!response.ok) return { ok: false, reason: `the host could not be resolved (DNS resolver answered ${response.status})` };
      answer = (await response.json()) as DohAnswer;
    } catch (e) {
      return { ok: false, reason: `the host could not be resolved (${(e as Error).message})` };
    }
    // Status 3 is NXDOMAIN; anything but 0 (NOERROR) leaves the name unresolved.
    if (answer.Status !== 0) return { ok: false, reason: `the host does not resolve (DNS status ${answer.Status ?? "missing"})` };
    for (const record of answer.Answer ?? []) {
      if (record.type !== TYPE_A && record.type !== TYPE_AAAA) continue; // CNAMEs on the way
      const data = record.data ?? "";
      const v4 = record.type === TYPE_A ? parseIpv4(data) : undefined;
      const v6 = record.type === TYPE_AAAA ? parseIpv6(data) : undefined;
      if (v4 === undefined && v6 === undefined) return { ok: false, reason: `unreadable DNS address ${data}` };
      if ((v4 !== undefined && isReservedIpv4(v4)) || (v6 !== undefined && isReservedIpv6(v6))) {
        return { ok: false, reason: `the host resolves to a private, loopback, link-local or reserved address (${data})` };
      }
      addresses.push(data);
    }
  }
  return addresses.length > 0 ? { ok: true, addresses } : { ok: false, reason: "the host has no A or AAAA record" };
}
