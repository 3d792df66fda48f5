// One webhook POST: the event body, Standard Webhooks headers, a timeout, no redirects; the outcome, never a throw.
import type { ScoreResult } from "../score-contract";
import { webhookHeaders } from "../../webhooks/signature";
import type { JobError } from "./job";

export type WebhookEvent =
  | { type: "score.completed"; data: { jobId: string; result: ScoreResult } }
  | { type: "score.failed"; data: { jobId: string; error: JobError } };

export interface DeliveryOutcome {
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  error?: string;
  ms: number;
}

/** A receiver that has not answered by then counts as a failed attempt (retried). */
export const WEBHOOK_TIMEOUT_MS = 15_000;

export interface WebhookDelivery {
  url: string;
  secret: string;
  webhookId: string;
  event: WebhookEvent;
  /** Unix seconds of this attempt: each retry is signed anew with its own timestamp, under the same webhook id. */
  timestamp: number;
}

export async function deliverWebhook(fetcher: typeof fetch, d: WebhookDelivery, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<DeliveryOutcome> {
  const body = JSON.stringify(d.event);
  const headers = {
    "content-type": "application/json",
    "user-agent": "edge-anomaly-webhooks/1",
    ...(await webhookHeaders(d.secret, d.webhookId, d.timestamp, body)),
  };
  const start = Date.now();
  try {
    // redirect "manual": a 3xx is a failure, so a checked URL cannot bounce the POST to an unchecked one.
    const response = await fetcher(d.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    const ms = Date.now() - start;
    return response.status >= 200 && response.status < 300
      ? { ok: true, status: response.status, ms }
      : { ok: false, status: response.status, error: `HTTP ${response.status}`, ms };
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${(e as Error).message ?? e}`, ms: Date.now() - start };
  }
}
