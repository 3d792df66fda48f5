// Job test helpers: tenants with API keys, the app over a capturing queue, the consumer driven batch by batch, the receiver's log.
import { encode } from "fast-png";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { apiKeyKvKey } from "../../src/platform/kv-api-keys";
import { createWorkerApp } from "../../src/composition/fetch";
import { encodeBase64 } from "../../src/shared/base64";
import { hashApiKey } from "../../src/usecases/api-keys";
import type { JobMessage } from "../../src/usecases/jobs/job";
import worker from "../../src/worker";
import type { ReceivedWebhook } from "./webhook-receiver";

export const JOB_QUEUE = "edge-anomaly-jobs";
export const DEAD_LETTER_QUEUE = "edge-anomaly-jobs-dlq";
/** 1 + max_retries of the job queue's consumer in wrangler.toml. */
export const MAX_ATTEMPTS = 9;

/** An API key for `tenant`, stored in TENANT_KEYS as the service expects. */
export async function tenantKey(tenant: string): Promise<string> {
  const key = `test-key-${tenant}-0123456789abcdef`;
  await env.TENANT_KEYS.put(apiKeyKvKey(await hashApiKey(key)), JSON.stringify({ tenant }));
  return key;
}

/**
 * The real app (auth, routes, errors) over the worker's bindings (plus `vars`), except that queue sends are captured
 * instead of delivered: the tests run the consumer themselves, attempt by attempt.
 */
export function capturingApi(vars: Record<string, string> = {}): {
  call(path: string, key: string, init?: RequestInit): Promise<Response>;
  sent: JobMessage[];
} {
  const sent: JobMessage[] = [];
  const app = createWorkerApp();
  const jobsQueue = { send: async (body: JobMessage) => void sent.push(body) };
  return {
    sent,
    call: (path, key, init = {}) =>
      Promise.resolve(app.request(path, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } }, { ...env, ...vars, JOBS_QUEUE: jobsQueue })),
  };
}

export function jsonPost(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** A small RGB PNG, base64: gradients with a dark square. */
export function pngBase64(width = 64, height = 48): string {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    const dark = x > width / 3 && x < width / 2 && y > height / 3 && y < height / 2;
    data.set(dark ? [20, 20, 20] : [(255 * x) / width, (255 * y) / height, 128], i * 3);
  }
  return encodeBase64(encode({ width, height, data, channels: 3, depth: 8 }));
}

let messageCount = 0;

export interface ConsumerRun {
  acked: boolean;
  /** The delay passed to message.retry(), when the consumer retried (getQueueResult does not report it). */
  retryDelay?: number;
}

/**
 * One delivery of `message` to src/worker.ts's queue handler, as attempt `attempts` of `queue`; backoff at its
 * production base (30 s) so that the delays can be checked.
 */
export async function runConsumer(message: JobMessage, attempts: number, queue = JOB_QUEUE): Promise<ConsumerRun> {
  const id = `msg-${++messageCount}`;
  const batch = createMessageBatch<JobMessage>(queue, [{ id, timestamp: new Date(), attempts, body: message }]);
  const delays: (number | undefined)[] = [];
  const m = batch.messages[0]!;
  const retry = m.retry.bind(m);
  Object.defineProperty(m, "retry", {
    value: (options?: { delaySeconds?: number }) => {
      delays.push(options?.delaySeconds);
      retry(options);
    },
  });
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, WEBHOOK_BACKOFF_BASE_SECONDS: "30" }, ctx);
  // The installed workers-types has no FetcherQueueResult (what getQueueResult is declared to return): the slice used.
  const result = (await getQueueResult(batch, ctx)) as { explicitAcks: string[]; retryMessages: { msgId: string }[] };
  const acked = result.explicitAcks.includes(id);
  const retried = result.retryMessages.some((r) => r.msgId === id);
  if (acked === retried) throw new Error(`message ${id}: acked ${acked}, retried ${retried}`);
  return acked ? { acked } : { acked, retryDelay: delays.at(-1)! };
}

/** What the Node-side receiver got under `key`. */
export async function receivedWebhooks(key: string): Promise<ReceivedWebhook[]> {
  return (await env.WEBHOOK_RECEIVER.fetch(`http://receiver/log/${key}`)).json();
}

/** A receiver URL: https to a public-looking name (the production policy accepts it; the outbound service catches it). */
export function receiverUrl(mode: "ok" | "fail" | "redirect" | `fail-${number}`, key: string): string {
  return `https://receiver.example/${mode}/${key}`;
}
