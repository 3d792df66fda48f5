// `npm start`: builds and seeds the demo model if needed, sets up a dev API key, runs `wrangler dev` (local workerd).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { writeBundleDir } from "../src/compiler/build-model-dir";
import { freePort } from "../src/bench/service-process";
import { frontLimits } from "../src/runner/front-limits";
import { startHttpFront } from "../src/runner/http-front";
import { DescendantTracker } from "../src/runner/process-tree";
import { bundleStageCounts, readBaseConfig, writeStagedConfigs } from "../src/runner/staged-bundle";
import { cliVar, stagedDevArgs } from "../src/runner/staged-dev-args";
import { superviseChild } from "../src/runner/supervisor";
import { workerAnswered } from "../src/runner/worker-answered";
import { buildDemoModel } from "../src/compiler/demo-model";
import { exitOnUnsupportedNode } from "../src/tools/supported-node";
import { API_KEY_SHAPE } from "../src/usecases/api-keys";

exitOnUnsupportedNode();

/**
 * wrangler's bin script refuses Node < 22, but its bundled CLI (wrangler-dist/cli.js) and miniflare run on Node 20:
 * call the CLI directly. Arguments pass through (e.g. `npm start -- --ip 0.0.0.0`). Environment: PORT (default 8787),
 * API_KEY (else a key generated once and kept in .dev.vars), MODEL_BUNDLE_DIR (default models/demo, built if missing),
 * RECONCILE_INTERVAL_SECONDS (default 60, as the production cron; 0 turns the local reconciler off).
 * A staged bundle (its manifest lists `stages`) runs as one wrangler dev with several Workers: the front (wrangler.toml
 * plus a service binding per stage) and one stage Worker per stage, from configs generated into .wrangler/stages/
 * (STAGE_CONFIG_DIR, when set: services running at once, each with its own vars, must not share one folder).
 * `--ip`/`--port` are where a small Node HTTP front listens (src/runner/http-front.ts: it receives every body whole,
 * within MAX_BODY_BYTES and the body timeouts, before wrangler dev sees it); wrangler dev itself listens on loopback.
 */
const port = process.env.PORT ?? "8787";
const bundle = resolve(process.env.MODEL_BUNDLE_DIR ?? "models/demo");
const devVars = resolve(".dev.vars");
const DEV_TENANT = "dev";

async function ensureBundle(): Promise<void> {
  if (existsSync(join(bundle, "manifest.json"))) return;
  if (process.env.MODEL_BUNDLE_DIR) throw new Error(`no model bundle at MODEL_BUNDLE_DIR=${bundle}`);
  console.log(`building the random demo model into ${bundle} ...`);
  await writeBundleDir(await buildDemoModel({ seed: 0 }), bundle);
}

/** The `--persist-to DIR` (or `--persist-to=DIR`) passed through to wrangler dev, if any. */
function persistTo(args: string[]): string | undefined {
  const i = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  if (i < 0) return undefined;
  return args[i]!.includes("=") ? args[i]!.slice("--persist-to=".length) : args[i + 1];
}

/**
 * Copies the bundle into the local R2 bucket `wrangler dev` persists in (.wrangler/state, or the `--persist-to`
 * folder, whose v3/ wrangler reads); cheap for small bundles, so every start.
 */
function seedLocalR2(persist: string | undefined, modelName?: string): void {
  const target = persist ? ["--persist", join(resolve(persist), "v3")] : [];
  const name = modelName ? ["--name", modelName] : [];
  const seeded = spawnSync(process.execPath, ["--import", "tsx", "scripts/seed-local-model.ts", "--bundle", bundle, ...target, ...name], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (seeded.status !== 0) throw new Error("seeding the local R2 bucket failed (scripts/seed-local-model.ts)");
  console.log(`seeded ${bundle} into local R2 (${persist ?? ".wrangler/state"})`);
}

/** The dev key: $API_KEY, else the `dev:` entry of API_KEYS in .dev.vars, else a new one written there. */
function devApiKey(): { key: string; where: string; cliVars: string[] } {
  const fromEnv = process.env.API_KEY;
  if (fromEnv) {
    if (!API_KEY_SHAPE.test(fromEnv)) throw new Error("API_KEY must be 16-256 characters of A-Z a-z 0-9 . _ ~ + / = -");
    return { key: fromEnv, where: "$API_KEY (tenant dev)", cliVars: ["--var", `API_KEYS:${DEV_TENANT}:${fromEnv}`] };
  }
  const text = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
  const line = /^API_KEYS\s*=\s*"?([^"\n]*)"?\s*$/m.exec(text)?.[1];
  const entry = line
    ?.split(",")
    .map((e) => e.trim())
    .find((e) => e.startsWith(`${DEV_TENANT}:`) && !e.includes(":sha256:"));
  if (entry) return { key: entry.slice(DEV_TENANT.length + 1), where: devVars, cliVars: [] };
  if (line !== undefined) throw new Error(`${devVars} sets API_KEYS without a plain "${DEV_TENANT}:<key>" entry; add one or set API_KEY`);
  const key = `ea_dev_${randomBytes(24).toString("hex")}`;
  writeFileSync(devVars, `${text}${text && !text.endsWith("\n") ? "\n" : ""}API_KEYS="${DEV_TENANT}:${key}"\n`, { mode: 0o600 });
  return { key, where: `${devVars} (generated now)`, cliVars: [] };
}

const args = process.argv.slice(2);
await ensureBundle();
const { stages: stageCount, textStages: textStageCount } = bundleStageCounts(bundle);
/** The R2 folder the front and every stage serve (models/<MODEL_NAME>/): a --var wins over wrangler.toml, as in wrangler. */
const modelName = stageCount > 0 ? (cliVar(args, "MODEL_NAME") ?? String(readBaseConfig(resolve("wrangler.toml")).vars?.MODEL_NAME ?? "")) : undefined;
seedLocalR2(persistTo(args), modelName);
const { key, where, cliVars } = devApiKey();
console.log(`API key (tenant "${DEV_TENANT}") from ${where}:\n  ${key}`);
console.log(`try: curl -H "Authorization: Bearer ${key}" http://localhost:${port}/v1/reference-sets   (docs: /openapi.json)`);

const wranglerDir = dirname(createRequire(import.meta.url).resolve("wrangler/package.json"));
const cli = join(wranglerDir, "wrangler-dist", "cli.js");

/** The value of `--name V` or `--name=V`, and the arguments without it. */
function takeOption(list: string[], name: string): { value: string | undefined; rest: string[] } {
  const i = list.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return { value: undefined, rest: list };
  const inline = list[i]!.includes("=");
  const value = inline ? list[i]!.slice(name.length + 1) : list[i + 1];
  return { value, rest: [...list.slice(0, i), ...list.slice(i + (inline ? 1 : 2))] };
}
const publicPort = takeOption(args, "--port");
const publicIp = takeOption(publicPort.rest, "--ip");
const wranglerPort = await freePort();
const reconcileEvery = Number(process.env.RECONCILE_INTERVAL_SECONDS ?? "60");
const scheduledArgs = reconcileEvery > 0 && !args.includes("--test-scheduled") ? ["--test-scheduled"] : [];
const devArgs = ["--ip", "127.0.0.1", "--port", String(wranglerPort), ...cliVars, ...scheduledArgs, ...publicIp.rest];
const wranglerArgs = stageCount > 0 ? stagedDev() : devArgs;

/** The configs of the front and every stage Worker, written now, and wrangler dev's arguments for all of them. */
function stagedDev(): string[] {
  const { paths } = writeStagedConfigs({
    baseConfig: resolve("wrangler.toml"),
    outDir: resolve(process.env.STAGE_CONFIG_DIR || join(".wrangler", "stages")),
    stageCount,
    textStageCount,
    modelName: modelName!,
    // `--var` reaches only the front's config; the stages get the engine in theirs.
    engine: cliVar(args, "ENGINE"),
  });
  const text = textStageCount > 0 ? ` + ${textStageCount} text stage Workers` : "";
  console.log(`staged bundle: ${stageCount} stage Workers${text} + the front, configs in ${dirname(paths[0]!)}`);
  return stagedDevArgs(devArgs, { configPaths: paths, cwd: process.cwd(), devVars: existsSync(devVars) ? devVars : undefined });
}

/**
 * wrangler dev exits on some failed forwards (see http-front.ts) and a crash would leave its workerd processes
 * holding the port: the supervisor ends those and restarts it, same port, arguments and persisted state, with a backoff.
 */
const workerds = new DescendantTracker();
let wranglerPid: number | undefined;
const wrangler = superviseChild({
  name: "wrangler dev",
  spawn: () => {
    const child = spawn(process.execPath, ["--no-warnings", cli, "dev", ...wranglerArgs], {
      stdio: "inherit",
      // No network for the Request.cf lookup (workers.cloudflare.com) unless the caller asks for it.
      env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
    });
    wranglerPid = child.pid;
    return child;
  },
  isReady: async () => {
    const response = await fetch(`http://127.0.0.1:${wranglerPort}/v1/health`, { signal: AbortSignal.timeout(5_000) });
    const answered = workerAnswered(response.status, await response.text());
    // Its workerd processes all run by now: remember them at once, not only at the next periodic look.
    if (answered) workerds.refresh(wranglerPid);
    return answered;
  },
  afterExit: () => {
    const killed = workerds.killLeftovers();
    if (killed.length > 0) console.error(`ended ${killed.length} process(es) wrangler dev left behind: ${killed.join(" ")}`);
  },
  log: (line) => console.error(line),
});
setInterval(() => workerds.refresh(wranglerPid), 2_000).unref();

const front = await startHttpFront({
  host: publicIp.value ?? "127.0.0.1",
  port: Number(publicPort.value ?? port),
  upstream: { host: "127.0.0.1", port: wranglerPort },
  ...frontLimits(resolve("wrangler.toml"), args, process.env),
  upstreamDown: () => {
    const state = wrangler.state();
    if (state === "up") return undefined;
    const reason = state === "starting" ? "wrangler dev is starting" : state === "waiting" ? "wrangler dev exited; it restarts shortly" : "shutting down";
    return { retryAfterSeconds: wrangler.retryAfterSeconds(), reason };
  },
});
console.log(`HTTP front on http://${publicIp.value ?? "127.0.0.1"}:${front.port} -> wrangler dev on 127.0.0.1:${wranglerPort}`);

/**
 * Local Cron Trigger: wrangler dev runs the scheduled handler (the reconciler) only when /__scheduled is requested
 * (--test-scheduled). Called once as soon as the server answers, then every RECONCILE_INTERVAL_SECONDS, so jobs and
 * uploads a crash left behind are recovered after a restart exactly as in production. Only while wrangler dev is up;
 * again as soon as it is up after a supervised restart.
 */
function runLocalCron(everySeconds: number): void {
  // wrangler dev itself, on loopback behind the HTTP front.
  const url = `http://127.0.0.1:${wranglerPort}/__scheduled?cron=${encodeURIComponent("* * * * *")}`;
  let ran = false;
  let restartsSeen = 0;
  const tick = async () => {
    if (wrangler.restarts() !== restartsSeen) {
      restartsSeen = wrangler.restarts();
      ran = false;
    }
    if (wrangler.state() !== "up") {
      setTimeout(tick, 1000).unref();
      return;
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      await response.body?.cancel();
      if (response.ok) ran = true;
      else console.error(`local cron: ${url} answered ${response.status}`);
    } catch {
      // Not listening yet (startup) or restarting: the next tick tries again.
    }
    setTimeout(tick, ran ? everySeconds * 1000 : 1000).unref();
  };
  setTimeout(tick, 1000).unref();
}
if (scheduledArgs.length > 0) runLocalCron(reconcileEvery);

// Ctrl-C / SIGTERM: wrangler dev shuts its workerd down and exits, then so does npm start; a second signal SIGKILLs it.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    const exit = await wrangler.stop(signal);
    workerds.killLeftovers();
    process.exit(exit.code ?? (exit.signal ? 1 : 0));
  });
}
