// Where a job's result may be POSTed: an https URL of a public host (checked as written, then through DNS).
import { parseIpv4 } from "../../webhooks/ip-ranges";
import type { HostResolution } from "../../webhooks/resolve-host";
import { checkWebhookUrl } from "../../webhooks/webhook-url";
import { DomainError } from "../domain-error";

export interface WebhookPolicy {
  /** Local development and tests only: http and private or loopback hosts are allowed, and DNS is not asked. */
  allowPrivate: boolean;
  resolveHost(hostname: string): Promise<HostResolution>;
}

function invalidWebhookUrl(reason: string): DomainError {
  return new DomainError("rejected", "invalid_webhook_url", `webhookUrl: ${reason}`, { field: "webhookUrl" });
}

/** The normalised URL from its text alone; throws invalid_webhook_url. */
export function checkWebhookTarget(raw: string, policy: Pick<WebhookPolicy, "allowPrivate">): string {
  const url = checkWebhookUrl(raw, { allowPrivate: policy.allowPrivate });
  if (!url.ok) throw invalidWebhookUrl(url.reason);
  return url.url.href;
}

/** A named (not literal-IP) host must resolve to public addresses only. */
export async function checkWebhookHost(webhookUrl: string, policy: WebhookPolicy): Promise<void> {
  if (policy.allowPrivate) return;
  const host = new URL(webhookUrl).hostname;
  if (host.startsWith("[") || parseIpv4(host) !== undefined) return; // literal addresses: checked by checkWebhookUrl
  const resolved = await policy.resolveHost(host);
  if (resolved.ok) return;
  if (resolved.kind === "unavailable") {
    // Not the client's fault and not a verdict on the host: retry later, never a job whose host was not checked.
    throw new DomainError("unavailable", "dns_unavailable", `webhookUrl: the host could not be checked now: ${resolved.reason}; retry later`, {
      field: "webhookUrl",
    });
  }
  throw invalidWebhookUrl(resolved.reason);
}
