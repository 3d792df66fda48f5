// `npm start`: the worker under `wrangler dev` (local workerd, R2/KV persisted in .wrangler/state), also on Node 20.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * wrangler's bin script refuses Node < 22, but its bundled CLI (wrangler-dist/cli.js) and miniflare run on Node 20:
 * call the CLI directly. Arguments pass through (e.g. `npm start -- --port 8788`). Seed the local bucket first with
 * `npm run seed:local`.
 */
const wranglerDir = dirname(createRequire(import.meta.url).resolve("wrangler/package.json"));
const cli = join(wranglerDir, "wrangler-dist", "cli.js");

const child = spawn(process.execPath, ["--no-warnings", cli, "dev", ...process.argv.slice(2)], {
  stdio: "inherit",
  // No network for the Request.cf lookup (workers.cloudflare.com) unless the caller asks for it.
  env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env },
});

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
