// kill -9 of wrangler dev alone (not npm start): the supervisor in npm start ends the workerd it left behind and
// starts it again on the same port and state; meanwhile the front answers 503 service_restarting, never 502 or a hang.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../src/bench/service-process";
import { recordRow } from "./report";
import { healthyAfter } from "./service-checks";

/** Bound on kill -> /v1/health 200 from the restarted wrangler dev (1 s backoff + its startup on two busy cores). */
const RECOVERY_BOUND_MS = 60_000;

let service: RunningService;

beforeAll(async () => {
  service = await startService({ timeoutMs: 180_000, tempPrefix: "edge-anomaly-restart-", env: { RECONCILE_INTERVAL_SECONDS: "5" } });
});

afterAll(async () => {
  await service?.stop();
});

interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

function groupProcesses(pgid: number): Proc[] {
  const text = execFileSync("ps", ["-o", "pid=,ppid=,args=", "-g", String(pgid)], { encoding: "utf8" });
  return text
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
}

function wranglerOf(pgid: number): { wrangler: Proc | undefined; workerds: Proc[] } {
  const all = groupProcesses(pgid);
  const wrangler = all.find((p) => p.args.includes("wrangler-dist/cli.js") && / dev( |$)/.test(p.args));
  const workerds = wrangler ? all.filter((p) => p.ppid === wrangler.pid && p.args.includes("workerd")) : [];
  return { wrangler, workerds };
}

function running(pid: number, args: string, pgid: number): boolean {
  return groupProcesses(pgid).some((p) => p.pid === pid && p.args === args);
}

describe("kill -9 of wrangler dev under npm start", () => {
  it("is restarted: 503 service_restarting with Retry-After meanwhile, then health 200 and a score", async () => {
    const before = wranglerOf(service.pgid);
    expect(before.wrangler, service.log()).toBeDefined();
    expect(before.workerds.length, service.log()).toBeGreaterThan(0);

    process.kill(before.wrangler!.pid, "SIGKILL");
    const killedAt = performance.now();

    // Health every 100 ms: every answer must be 200 or a 503 service_restarting with Retry-After, within 5 s.
    const answers = new Map<string, number>();
    let bad: string | undefined;
    let seenDown = false;
    let recoveredAt: number | undefined;
    while (performance.now() - killedAt < RECOVERY_BOUND_MS) {
      let key: string;
      try {
        const response = await fetch(`${service.baseUrl}/v1/health`, { signal: AbortSignal.timeout(5_000) });
        const text = await response.text();
        if (response.status === 200) key = "200";
        else {
          const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          key = `${response.status} ${code}${response.headers.get("retry-after") ? " +Retry-After" : ""}`;
        }
      } catch (e) {
        key = `no answer: ${(e as Error).message}`;
      }
      answers.set(key, (answers.get(key) ?? 0) + 1);
      if (key !== "200" && key !== "503 service_restarting +Retry-After") bad ??= key;
      if (key !== "200") seenDown = true;
      if (key === "200" && seenDown) {
        recoveredAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const recoveryMs = recoveredAt === undefined ? undefined : recoveredAt - killedAt;
    const after = await healthyAfter(service);
    const now = wranglerOf(service.pgid);
    const leftovers = before.workerds.filter((w) => running(w.pid, w.args, service.pgid));
    const summary = [...answers].map(([k, n]) => `${n}x ${k}`).join(", ");

    recordRow({
      attack: "kill -9 of the wrangler dev process only (npm start and its HTTP front stay)",
      outcome:
        recoveryMs === undefined
          ? `no recovery within ${RECOVERY_BOUND_MS / 1000} s (${summary})`
          : `health 200 again ${(recoveryMs / 1000).toFixed(1)} s after the kill; meanwhile ${summary}; then health ${after.health}, score ${after.score}; ${leftovers.length} old workerd left`,
      passed: recoveryMs !== undefined && bad === undefined && after.health === 200 && after.score === 200 && leftovers.length === 0,
      figures: { recoveryMs: Math.round(recoveryMs ?? -1), health: after.health, score: after.score, leftovers: leftovers.length },
    });

    expect(bad, `${summary}\n${service.log()}`).toBeUndefined();
    expect(recoveryMs, `${summary}\n${service.log()}`).toBeDefined();
    expect(after).toEqual({ health: 200, score: 200 });
    expect(leftovers, service.log()).toEqual([]);
    expect(now.wrangler?.pid).not.toBe(before.wrangler!.pid);
    expect(now.wrangler?.args).toBe(before.wrangler!.args);
    expect(service.log()).toMatch(/wrangler dev exited unexpectedly \(signal SIGKILL\) after [\d.]+ s up; restart 1 in 1 s/);
  });
});
