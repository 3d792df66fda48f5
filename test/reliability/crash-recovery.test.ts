// kill -9 of the whole service (npm start) at four points, then a restart on the same local state: every job is
// delivered with its webhook-id within the documented recovery time, and a half-written reference set is removed.
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "fast-png";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformProxy } from "wrangler";
import { type RunningService, startService } from "../../src/bench/service-process";
import { recordRow } from "./report";

/** Short periods, so that the whole file runs in about two minutes; production: 120 s, 3600 s, 30 s, a 60 s cron. */
const LEASE_S = 4;
const GRACE_S = 6;
const BACKOFF_S = 15;
const CRON_S = 2;
/** Queue batch timeout (1 s), scoring and the POST of a recovered job on two busy cores. */
const PROCESSING_SLACK_MS = 15_000;
const START_TIMEOUT_MS = 180_000;

interface Arrival {
  key: string;
  webhookId: string;
  at: number;
  answered: number | "stalled";
}

/** The webhook receiver: /ok/<key> answers 204; fail-1 answers 500 to its first POST; stall-1 never answers its first. */
function webhookReceiver(): { server: Server; arrivals: Arrival[]; url: (mode: string, key: string) => string } {
  const arrivals: Arrival[] = [];
  const server = createServer((req, res) => {
    const [, mode = "", key = ""] = (req.url ?? "").split("/");
    req.resume();
    req.on("end", () => {
      const first = !arrivals.some((a) => a.key === key);
      const arrival: Arrival = { key, webhookId: String(req.headers["webhook-id"]), at: Date.now(), answered: 204 };
      arrivals.push(arrival);
      if (mode === "stall-1" && first) arrival.answered = "stalled";
      else if (mode === "fail-1" && first) arrival.answered = 500;
      if (arrival.answered !== "stalled") res.writeHead(arrival.answered).end();
    });
  });
  return { server, arrivals, url: (mode, key) => `http://127.0.0.1:${(server.address() as { port: number }).port}/${mode}/${key}` };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

let persist: string;
const receiver = webhookReceiver();
let service: RunningService | undefined;

function start(): Promise<RunningService> {
  return startService({
    timeoutMs: START_TIMEOUT_MS,
    tempPrefix: "edge-anomaly-crash-",
    persistTo: persist,
    vars: {
      ALLOW_PRIVATE_WEBHOOKS: "true",
      JOB_LEASE_SECONDS: String(LEASE_S),
      UPLOAD_GRACE_SECONDS: String(GRACE_S),
      WEBHOOK_BACKOFF_BASE_SECONDS: String(BACKOFF_S),
    },
    env: { RECONCILE_INTERVAL_SECONDS: String(CRON_S) },
  });
}

/** SIGKILL to the whole process group (npm, tsx, wrangler, workerd): nothing gets to clean up. */
async function kill9(s: RunningService): Promise<number> {
  process.kill(-s.pgid, "SIGKILL");
  const at = Date.now();
  await s.stop(); // the group is gone; this removes the temporary env file
  return at;
}

async function api(s: RunningService, path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(`${s.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${s.apiKey}`, ...init.headers } });
  } catch (e) {
    throw new Error(`${init.method ?? "GET"} ${path}: ${(e as Error).message}; the service's last lines:\n${s.log()}`);
  }
}

interface JobView {
  id: string;
  status: string;
  attempts: number;
  webhookId: string;
}

async function submitJob(s: RunningService, webhookUrl: string): Promise<{ id: string; acceptedAt: number }> {
  const image = Buffer.from(encode({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(128), channels: 3, depth: 8 })).toString("base64");
  const response = await api(s, "/v1/jobs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ object: "bottle", image, webhookUrl }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(202);
  return { id: (JSON.parse(text) as { id: string }).id, acceptedAt: Date.now() };
}

async function getJob(s: RunningService, id: string): Promise<JobView> {
  const response = await api(s, `/v1/jobs/${id}`);
  expect(response.status).toBe(200);
  return response.json() as Promise<JobView>;
}

/** Noise PNG shots: incompressible, so that storing 6 of them takes long enough to be killed in the middle. */
function noisePng(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size * size * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return new Uint8Array(encode({ width: size, height: size, data, channels: 3, depth: 8 }));
}

function createSet(s: RunningService, shots: Uint8Array<ArrayBuffer>[]): Promise<Response> {
  const form = new FormData();
  form.append("object", "bottle");
  for (const [i, shot] of shots.entries()) form.append("images", new Blob([shot], { type: "image/png" }), `shot-${i}.png`);
  return api(s, "/v1/reference-sets", { method: "POST", body: form });
}

/** The reference-set bucket as stored on disk (a second local runtime over the same state folder). */
async function openReferenceSets(): Promise<{ keys(): Promise<string[]>; close(): Promise<void> }> {
  const proxy = await getPlatformProxy<{ REFERENCE_SETS: R2Bucket }>({
    configPath: "wrangler.toml",
    persist: { path: join(persist, "v3") },
    remoteBindings: false,
  });
  return {
    async keys() {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const listed = await proxy.env.REFERENCE_SETS.list({ cursor });
        keys.push(...listed.objects.map((o) => o.key));
        cursor = listed.truncated ? listed.cursor : undefined;
      } while (cursor);
      return keys;
    },
    close: () => proxy.dispose(),
  };
}

async function referenceSetKeys(): Promise<string[]> {
  const bucket = await openReferenceSets();
  try {
    return await bucket.keys();
  } finally {
    await bucket.close();
  }
}

type R2Bucket = import("@cloudflare/workers-types").R2Bucket;

beforeAll(async () => {
  persist = await mkdtemp(join(tmpdir(), "edge-anomaly-crash-state-"));
  await new Promise<void>((ok) => receiver.server.listen(0, "127.0.0.1", ok));
});

afterAll(async () => {
  await service?.stop();
  receiver.server.closeAllConnections();
  await new Promise((ok) => receiver.server.close(ok));
  await rm(persist, { recursive: true, force: true });
});

describe("kill -9 and restart on the same state", () => {
  it("delivers jobs killed after their 202, during their webhook POST and after a failed attempt, with their webhook-id", async () => {
    service = await start();
    // After a failed attempt: the retry is due BACKOFF_S later and lives only in the (local, in-memory) queue.
    const failed = await submitJob(service, receiver.url("fail-1", "after-failure"));
    const failedAt = await until("the failed first attempt", 60_000, () => receiver.arrivals.find((a) => a.key === "after-failure")?.at);
    await until("attempt 1 recorded", 10_000, async () => ((await getJob(service!, failed.id)).attempts === 1 ? true : undefined));
    // During the webhook POST: the receiver holds the request open.
    const stalled = await submitJob(service, receiver.url("stall-1", "during-post"));
    await until("the stalled POST", 60_000, () => receiver.arrivals.find((a) => a.key === "during-post"));
    // Right after the 202.
    const fresh = await submitJob(service, receiver.url("ok", "after-202"));
    const killedAt = await kill9(service);
    expect(receiver.arrivals.filter((a) => a.answered !== 500 && a.answered !== "stalled")).toEqual([]);

    service = await start();
    const healthyAt = Date.now();
    const restartMs = healthyAt - killedAt;
    // When each job became due: the 202, the claim before the POST (at the latest the kill), the scheduled retry.
    const cases = [
      { name: "kill -9 right after a job's 202", key: "after-202", job: fresh, dueAt: fresh.acceptedAt },
      { name: "kill -9 during the job's webhook POST (receiver stalls)", key: "during-post", job: stalled, dueAt: killedAt },
      { name: "kill -9 after a failed attempt (retry pending)", key: "after-failure", job: failed, dueAt: failedAt + BACKOFF_S * 1000 },
    ];
    for (const c of cases) {
      const delivered = await until(`${c.key} delivered`, 90_000, async () => {
        const view = await getJob(service!, c.job.id);
        return view.status === "delivered" ? view : undefined;
      });
      const hooks = receiver.arrivals.filter((a) => a.key === c.key);
      const ok = hooks.find((a) => a.answered === 204)!;
      // Re-enqueued at the first cron run once the job is a lease past due (and the service is up), then processed.
      const boundMs = Math.max(healthyAt, c.dueAt + LEASE_S * 1000) + CRON_S * 1000 + PROCESSING_SLACK_MS - healthyAt;
      const recoveryMs = ok.at - healthyAt;
      const sameId = hooks.every((h) => h.webhookId === delivered.webhookId);
      const passed = sameId && recoveryMs <= boundMs;
      recordRow({
        attack: c.name,
        outcome: `delivered ${(recoveryMs / 1000).toFixed(1)} s after the restart was healthy (bound ${(boundMs / 1000).toFixed(1)} s; restart took ${(restartMs / 1000).toFixed(1)} s); ${hooks.length} POST(s), one webhook-id`,
        passed,
        figures: { recoveryMs, boundMs, restartMs, posts: hooks.length, leaseS: LEASE_S, cronS: CRON_S },
      });
      expect(hooks.map((h) => h.webhookId)).toEqual(hooks.map(() => delivered.webhookId));
      expect(recoveryMs).toBeLessThanOrEqual(boundMs);
    }
    // The failed attempt's retry resumed the schedule: two POSTs in all, and the job counts both.
    expect((await getJob(service, failed.id)).attempts).toBe(2);
  });

  it("removes the shots of a reference set killed mid-creation after the grace period; committed sets stay whole", async () => {
    service ??= await start();
    const createStart = Date.now();
    const committed = await createSet(service, [noisePng(64, 1), noisePng(64, 2)]);
    console.log(`committed 2-shot set created in ${Date.now() - createStart} ms`);
    expect(committed.status, await committed.clone().text()).toBe(201);
    const committedId = ((await committed.json()) as { id: string }).id;

    // Kill once three more blob files exist in the reference-set bucket: the marker and the first shots of six.
    const blobs = join(persist, "v3", "r2", "edge-anomaly-reference-sets", "blobs");
    const baseline = readdirSync(blobs).length;
    let answered: string | undefined;
    const creation = createSet(
      service,
      Array.from({ length: 6 }, (_, i) => noisePng(256, 10 + i)),
    ).then(
      async (r) => {
        answered = `HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`;
        return r;
      },
      (e: Error) => {
        answered ??= `no answer: ${e.message}`;
        return e;
      },
    );
    let killedAt = 0;
    for (const end = Date.now() + 150_000; killedAt === 0; await new Promise((r) => setTimeout(r, 10))) {
      if (readdirSync(blobs).length >= baseline + 3) {
        process.kill(-service.pgid, "SIGKILL");
        killedAt = Date.now();
      } else if (answered || Date.now() > end) {
        throw new Error(`no kill mid-creation (${answered ?? "still waiting"}); blobs ${baseline} -> ${readdirSync(blobs).length}:\n${service.log()}`);
      }
    }
    expect(await creation).toBeInstanceOf(Error); // the client never got an answer
    await service.stop();

    const setId = (key: string) => /^(?:data|sets|pending)\/dev\/(rs_[0-9a-f]{24})/.exec(key)?.[1];
    const before = await referenceSetKeys();
    const orphanIds = [...new Set(before.filter((k) => k.startsWith("data/dev/")).map(setId))].filter((id) => id !== committedId);
    expect(orphanIds).toHaveLength(1);
    const orphan = orphanIds[0]!;
    const orphanKeys = before.filter((k) => setId(k) === orphan);
    expect(orphanKeys).toContain(`pending/dev/${orphan}`);
    expect(orphanKeys).not.toContain(`sets/dev/${orphan}.json`);
    expect(orphanKeys.filter((k) => k.includes("/shot-")).length).toBeGreaterThan(0);

    service = await start();
    const healthyAt = Date.now();
    // Watched on disk while the service runs (wrangler dev does not print the scheduled handler's log).
    const bucket = await openReferenceSets();
    const removedAt = await until("the reconciler's removal", 60_000, async () =>
      (await bucket.keys()).some((k) => setId(k) === orphan) ? undefined : Date.now(),
    ).finally(() => bucket.close());
    const listed = await api(service, "/v1/reference-sets");
    const ids = ((await listed.json()) as { items: { id: string }[] }).items.map((i) => i.id);
    await service.stop();
    service = undefined;
    const after = await referenceSetKeys();
    const left = after.filter((k) => setId(k) === orphan);
    const committedLeft = after.filter((k) => setId(k) === committedId);
    const boundMs = Math.max(healthyAt, killedAt + GRACE_S * 1000) + CRON_S * 1000 + PROCESSING_SLACK_MS - killedAt;
    const goneMs = removedAt - killedAt;
    const passed = left.length === 0 && ids.includes(committedId) && committedLeft.includes(`sets/dev/${committedId}.json`) && goneMs <= boundMs;
    recordRow({
      attack: "kill -9 during a reference-set creation (6 shots, killed after its first writes)",
      outcome: `${orphanKeys.length} orphaned objects gone ${(goneMs / 1000).toFixed(1)} s after the kill (grace ${GRACE_S} s, bound ${(boundMs / 1000).toFixed(1)} s); committed set intact`,
      passed,
      figures: { orphanObjects: orphanKeys.length, goneMs, boundMs, graceS: GRACE_S, cronS: CRON_S },
    });
    expect(left).toEqual([]);
    expect(ids).toContain(committedId);
    expect(committedLeft).toContain(`sets/dev/${committedId}.json`);
    expect(goneMs).toBeLessThanOrEqual(boundMs);
  });
});
