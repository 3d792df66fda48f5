// Node-only: runs the real service (`npm start`: wrangler dev on local workerd) on free ports with a throwaway state and key.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
/** The tenant of the throwaway key. */
const TENANT = "dev";

export interface RunningService {
  baseUrl: string;
  apiKey: string;
  /** The worker isolate's DevTools inspector (`npm start -- --inspector-port N`): ws://127.0.0.1:N/ws (when passed). */
  inspectorPort: number;
  /** Id of the service's process group (npm, tsx, wrangler, workerd). */
  pgid: number;
  /** performance.now() when `npm start` was spawned, when it printed that the bundle was seeded, when health said 200. */
  timeline: { spawned: number; seeded: number | undefined; healthy: number };
  /** The last lines the service printed, for failure messages. */
  log(): string;
  /** Kills the whole process group (npm, tsx, wrangler, workerd) and removes the temporary state. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Bound on seeding plus startup until /v1/health answers 200. */
  timeoutMs: number;
  /** The model bundle folder to serve; default models/demo, or a fresh demo bundle when that is missing. */
  bundleDir?: string;
  /** Prefix of the temporary folder (state, env file). */
  tempPrefix?: string;
  /** The local state folder (--persist-to), kept by stop(): a restart after a kill -9 finds the same R2/KV. Default: temporary. */
  persistTo?: string;
  /** Worker vars (--var NAME:VALUE), e.g. shorter periods for a test. */
  vars?: Record<string, string>;
  /** Extra environment of `npm start` (scripts/start.ts reads e.g. RECONCILE_INTERVAL_SECONDS). */
  env?: Record<string, string>;
  /**
   * Pass `--inspector-port` (wrangler's inspector proxy to the first Worker; default false). With it, wrangler dev
   * exited now and then under load (several Workers: right after the first score, 4 of 4 runs; one Worker under 16
   * concurrent score loops, 3 of 5 runs; the reliability suite's crash-recovery and re-embed tests on a loaded machine
   * failed with it, 1 run, and passed without it, 1 run; 2026-11-30). Measure through workerd's own inspector
   * (worker-isolates.ts) instead.
   */
  inspectorProxy?: boolean;
  /** Keep wrangler's dev registry (default true); false for the per-isolate measurement (see worker-isolates.ts). */
  devRegistry?: boolean;
  /** Also append everything the service prints to this file (default: the SERVICE_LOG environment variable, if set). */
  logFile?: string;
  /** Abandons a start still waiting for health when aborted (stops what started, removes the state, throws). */
  signal?: AbortSignal;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

/** models/demo when it is there (npm run model:demo), else a fresh one in the temporary folder. */
async function demoBundle(dir: string, timeout: number): Promise<string> {
  const local = join(ROOT, "models", "demo");
  if (existsSync(join(local, "manifest.json"))) return local;
  const out = join(dir, "demo-bundle");
  await run(process.execPath, [TSX, "scripts/model-demo.ts", "--out", out], { cwd: ROOT, timeout });
  return out;
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone.
  }
}

/** SIGTERM to the group (wrangler shuts workerd down), SIGKILL for whatever is left after 5 s; bounded at 8 s. */
async function stopGroup(pgid: number): Promise<void> {
  const gone = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (!signalGroup(pgid, 0)) return true;
    }
    return false;
  };
  signalGroup(pgid, "SIGTERM");
  if (await gone(5_000)) return;
  signalGroup(pgid, "SIGKILL");
  await gone(3_000);
}

/**
 * Consecutive 500s from /v1/health after which a start fails at once: while wrangler starts the front answers 503
 * (service_restarting), and a model or storage the Worker cannot read answers 503 (model_unavailable, storage_error),
 * so a 500 is the Worker failing on its own configuration (e.g. ENGINE=wasm on an fp32 bundle): waiting does not mend it.
 */
const HEALTH_500S_TO_FAIL = 5;

async function waitForHealth(baseUrl: string, child: ChildProcess, deadline: number, log: () => string, signal?: AbortSignal): Promise<void> {
  let last = "no answer yet";
  let failures = 0;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new Error("the start was abandoned (aborted) before the service was healthy");
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${log()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/v1/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
      failures = response.status === 500 ? failures + 1 : 0;
    } catch (e) {
      last = (e as Error).message;
    }
    if (failures >= HEALTH_500S_TO_FAIL) throw new Error(`/v1/health answered 500 ${failures} times in a row (${last}):\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/v1/health did not answer 200 in time (last: ${last}):\n${log()}`);
}

/** Starts the service, runs `work` on it and always stops it; a failure carries the service's last output. */
export async function withService<T>(options: StartOptions, work: (service: RunningService) => Promise<T>): Promise<T> {
  const service = await startService(options);
  try {
    return await work(service);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- service output (last lines) ---\n${service.log()}`);
  } finally {
    await service.stop();
  }
}

/**
 * `npm start` with MODEL_BUNDLE_DIR = the bundle and `--persist-to` a temporary folder: start.ts seeds the bundle
 * there, so neither the repo's .wrangler/state nor its .dev.vars is read or written.
 */
export async function startService({
  timeoutMs,
  bundleDir,
  tempPrefix = "edge-anomaly-e2e-",
  persistTo,
  vars = {},
  env: extraEnv = {},
  inspectorProxy = false,
  devRegistry = true,
  logFile = process.env.SERVICE_LOG || undefined,
  signal,
}: StartOptions): Promise<RunningService> {
  const deadline = Date.now() + timeoutMs;
  const dir = await mkdtemp(join(tmpdir(), tempPrefix));
  const apiKey = `e2e-${crypto.randomUUID()}`;
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const output: string[] = [];
  const log = () => output.join("").split("\n").slice(-40).join("\n");
  let child: ChildProcess | undefined;
  const stop = async () => {
    process.off("exit", killOnExit);
    if (child?.pid !== undefined) await stopGroup(child.pid);
    await rm(dir, { recursive: true, force: true });
  };
  // Last resort if the caller exits without stopping the service.
  const killOnExit = () => child?.pid !== undefined && signalGroup(child.pid, "SIGKILL");
  process.on("exit", killOnExit);
  try {
    const persist = persistTo ? resolve(persistTo) : join(dir, "state");
    // --env-file replaces .dev.vars, so a developer's own keys neither leak in nor override this one.
    const envFile = join(dir, "e2e.env");
    await writeFile(envFile, `API_KEYS=${TENANT}:${apiKey}\n`);
    const bundle = bundleDir ? resolve(bundleDir) : await demoBundle(dir, Math.max(1_000, deadline - Date.now()));
    if (!existsSync(join(bundle, "manifest.json"))) throw new Error(`no model bundle at ${bundle}`);
    const env = {
      ...process.env,
      // API_KEY: start.ts then passes it as the dev tenant's key instead of reading (or creating) the repo's .dev.vars.
      API_KEY: apiKey,
      MODEL_BUNDLE_DIR: bundle,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      // No dev registry (shared by every wrangler dev on the machine) when asked: then workerd opens no capnp debug
      // port, which the per-isolate memory measurement (worker-isolates.ts) must not send HTTP to.
      ...(devRegistry ? {} : { WRANGLER_REGISTRY_PATH: "" }),
      NO_COLOR: "1",
      // The staged configs carry the vars (ENGINE) of this service: its own folder, not the project's .wrangler/stages.
      STAGE_CONFIG_DIR: join(dir, "stages"),
      ...extraEnv,
    };
    const args = ["start", "--", "--ip", "127.0.0.1", "--port", String(port), ...(inspectorProxy ? ["--inspector-port", String(inspectorPort)] : [])];
    args.push("--persist-to", persist, "--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", "info");
    for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
    const spawned = performance.now();
    let seeded: number | undefined;
    // detached: its own process group, so stop() reaches wrangler's workerd grandchildren too.
    child = spawn("npm", args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pgid = child.pid!;
    const collect = (d: Buffer) => {
      const text = d.toString();
      if (seeded === undefined && /^seeded .* into local R2/m.test(text)) seeded = performance.now();
      output.push(text);
      if (logFile) appendFileSync(logFile, text);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHealth(baseUrl, child, deadline, log, signal);
    return { baseUrl, apiKey, inspectorPort, pgid, timeline: { spawned, seeded, healthy: performance.now() }, log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
