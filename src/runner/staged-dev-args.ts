// `wrangler dev` arguments for a staged bundle: one dev server, the front's config first, then every stage's.
import { isAbsolute, resolve } from "node:path";

export interface StagedDevArgsOptions {
  /** The generated configs, the front's first (src/runner/staged-bundle.ts). */
  configPaths: string[];
  /** Where relative paths of the arguments are meant from (npm start's working directory, the project root). */
  cwd: string;
  /** The project's .dev.vars, when it exists. */
  devVars: string | undefined;
}

/** The value given by `--var NAME:VALUE` arguments, if any (the last one wins). */
export function cliVar(args: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  args.forEach((a, i) => {
    const spec = a === "--var" ? args[i + 1] : a.startsWith("--var=") ? a.slice("--var=".length) : undefined;
    if (spec?.startsWith(`${name}:`)) value = spec.slice(name.length + 1);
  });
  return value;
}

/**
 * wrangler resolves `--env-file` and the default `.dev.vars` against the folder of the (first) config, and keeps its
 * local state under that folder by default; the generated configs live elsewhere, so: `-c` for every config, state
 * and env files as absolute paths, the project's .dev.vars passed explicitly when no --env-file is given, and the
 * default state folder the one `npm start` seeds (`.wrangler/state` of the project). `--var` reaches the front only
 * (wrangler applies command-line vars to the first config): the stages' vars are in their configs.
 */
export function stagedDevArgs(args: readonly string[], o: StagedDevArgsOptions): string[] {
  if (args.some((a) => a === "-c" || a === "--config" || a.startsWith("--config="))) {
    throw new Error("npm start generates the wrangler configs of a staged bundle itself: do not pass -c/--config");
  }
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(o.cwd, p));
  const PATH_OPTIONS = ["--env-file", "--persist-to"];
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = PATH_OPTIONS.find((n) => a === n || a.startsWith(`${n}=`));
    if (!name) {
      out.push(a);
      continue;
    }
    const value = a === name ? args[++i] : a.slice(name.length + 1);
    if (value === undefined) throw new Error(`${name} needs a value`);
    out.push(name, absolute(value));
    seen.add(name);
  }
  if (!seen.has("--env-file") && o.devVars) out.push("--env-file", o.devVars);
  if (!seen.has("--persist-to")) out.push("--persist-to", resolve(o.cwd, ".wrangler", "state"));
  return [...o.configPaths.flatMap((c) => ["-c", c]), ...out];
}
