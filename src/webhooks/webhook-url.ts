// Which webhook URLs a job may name, from the URL alone: https, no credentials, no private literal IP or internal name.
import { isReservedIpv4, isReservedIpv6, parseIpv4, parseIpv6 } from "./ip-ranges";

export interface WebhookUrlPolicy {
  /** ALLOW_PRIVATE_WEBHOOKS=true, for local development and tests only: any http(s) URL, loopback and private hosts included. */
  allowPrivate: boolean;
}

export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Names no public DNS answers for: single labels and the suffixes of local and internal networks (RFC 6761, 6762, 8375). */
const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain", ".corp"];

/**
 * Validates what the URL itself says — the scheme, credentials, literal IPv4/IPv6 hosts against the special-purpose
 * ranges (WHATWG parsing has already normalised `0x7f.1`, `2130706433` and the like to dotted quads), and names
 * that are obviously internal. Named hosts are then resolved over DNS-over-HTTPS (resolve-host.ts) before a job is
 * accepted. Deliveries do not follow redirects, and leave from Cloudflare's edge, which has no route into a private
 * network (this worker has no VPC or Tunnel binding).
 */
export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): WebhookUrlCheck {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return { ok: false, reason: `longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not an absolute URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "credentials in the URL are not accepted" };
  if (policy.allowPrivate) {
    return url.protocol === "https:" || url.protocol === "http:" ? { ok: true, url } : { ok: false, reason: "the scheme must be http or https" };
  }
  if (url.protocol !== "https:") return { ok: false, reason: "the scheme must be https" };
  const reason = hostProblem(url.hostname);
  return reason ? { ok: false, reason } : { ok: true, url };
}

function hostProblem(hostname: string): string | undefined {
  if (hostname.startsWith("[")) {
    const groups = parseIpv6(hostname.slice(1, -1));
    if (!groups) return "unreadable IPv6 address";
    return isReservedIpv6(groups) ? "the host is a private, loopback, link-local or reserved IPv6 address" : undefined;
  }
  const ipv4 = parseIpv4(hostname);
  if (ipv4 !== undefined) {
    return isReservedIpv4(ipv4) ? "the host is a private, loopback, link-local or reserved IPv4 address" : undefined;
  }
  const name = hostname.replace(/\.$/, "");
  if (name === "localhost" || INTERNAL_SUFFIXES.some((s) => name.endsWith(s))) return "the host is a local or internal name";
  if (!name.includes(".")) return "the host must be a fully qualified domain name";
  return undefined;
}
