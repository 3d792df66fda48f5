// Copies a model bundle folder into the local R2 bucket of `npm start` (.wrangler/state) as the served model.
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { getPlatformProxy } from "wrangler";
import type { Env } from "../src/platform/env";
import { bundleFiles, isStagedManifest, parseBundleManifest, stagedBundleManifestSchema } from "../src/engine/runtime/bundle-manifest";
import { bundlePrefix } from "../src/platform/r2-bundle-reader";

const USAGE =
  "usage: tsx scripts/seed-local-model.ts [--bundle <folder, default models/demo>] [--name <R2 folder, default wrangler.toml's MODEL_NAME>] [--persist <state dir>]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bundle: { type: "string", default: process.env.MODEL_BUNDLE_DIR ?? "models/demo" },
      name: { type: "string" },
      persist: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const folder = resolve(values.bundle);
  const json: unknown = JSON.parse(await readFile(join(folder, "manifest.json"), "utf8"));
  // A staged bundle: its stage graphs and weights too (bundleFiles lists them); every stage Worker reads this bucket.
  const manifest = isStagedManifest(json) ? stagedBundleManifestSchema.parse(json) : parseBundleManifest(json);
  // manifest.json last: a half-seeded bundle has no manifest, so it is never served.
  const files = [...bundleFiles(manifest).map((f) => f.path), "manifest.json"];
  const present = new Set(await readdir(folder));
  const missing = files.filter((f) => !present.has(f));
  if (missing.length > 0) throw new Error(`${folder} lacks ${missing.join(", ")}`);

  // Defaults to .wrangler/state/v3, the folder `wrangler dev` persists local R2 and KV in. No Request.cf lookup.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  const proxy = await getPlatformProxy<Env>({
    configPath: "wrangler.toml",
    persist: values.persist ? { path: values.persist } : true,
    remoteBindings: false,
  });
  const name = values.name ?? proxy.env.MODEL_NAME;
  try {
    for (const file of files) {
      const bytes = await readFile(join(folder, file));
      await proxy.env.MODELS.put(bundlePrefix(name) + file, bytes);
      console.log(`put ${bundlePrefix(name)}${file} (${bytes.length} bytes)`);
    }
  } finally {
    await proxy.dispose();
  }
  console.log(`seeded bundle "${manifest.name}" (${folder}) as models/${name}/`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  console.error(USAGE);
  process.exitCode = 1;
});
