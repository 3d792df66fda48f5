// Node-only: the body limits of npm start's HTTP front: the vars the worker reads too (wrangler.toml [vars], then
// `--var NAME:VALUE` arguments), and the front's own FRONT_MAX_BUFFERED_BYTES (there or in the environment).
import { readFileSync } from "node:fs";
import { positiveIntVar, positiveNumberVar } from "../shared/var-numbers";
import { DEFAULT_LIMITS } from "../usecases/limits";

export interface FrontLimits {
  maxBodyBytes: number;
  idleTimeoutMs: number;
  deadlineMs: number;
  maxBufferedBytes: number;
}

const NAMES = ["MAX_BODY_BYTES", "BODY_IDLE_TIMEOUT_SECONDS", "BODY_DEADLINE_SECONDS", "FRONT_MAX_BUFFERED_BYTES"] as const;
type Name = (typeof NAMES)[number];

/** `NAME = "value"` lines of the [vars] table (the only shape wrangler.toml uses for these). */
export function tomlVars(toml: string): Partial<Record<Name, string>> {
  const out: Partial<Record<Name, string>> = {};
  const vars = /^\[vars\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? "";
  for (const name of NAMES) {
    const value = new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m").exec(vars)?.[1];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function frontLimits(tomlPath: string, args: readonly string[], env: NodeJS.ProcessEnv): FrontLimits {
  const values: Partial<Record<Name, string>> = tomlVars(readFileSync(tomlPath, "utf8"));
  args.forEach((arg, i) => {
    if (arg !== "--var") return;
    const [name, ...rest] = (args[i + 1] ?? "").split(":");
    if ((NAMES as readonly string[]).includes(name!)) values[name as Name] = rest.join(":");
  });
  if (env.FRONT_MAX_BUFFERED_BYTES !== undefined) values.FRONT_MAX_BUFFERED_BYTES = env.FRONT_MAX_BUFFERED_BYTES;
  return {
    // Read exactly as src/composition/config.ts reads them, so the front and the worker enforce the same limits.
    maxBodyBytes: positiveIntVar(values.MAX_BODY_BYTES, DEFAULT_LIMITS.maxBodyBytes),
    idleTimeoutMs: positiveNumberVar(values.BODY_IDLE_TIMEOUT_SECONDS, DEFAULT_LIMITS.bodyIdleTimeoutSeconds) * 1000,
    deadlineMs: positiveNumberVar(values.BODY_DEADLINE_SECONDS, DEFAULT_LIMITS.bodyDeadlineSeconds) * 1000,
    maxBufferedBytes: positiveIntVar(values.FRONT_MAX_BUFFERED_BYTES, 256 * 1024 * 1024),
  };
}
