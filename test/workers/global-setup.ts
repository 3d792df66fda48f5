// Vitest global setup of the workerd suite (runs in Node, once): builds the demo bundles a fresh clone lacks.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeBundleDir } from "../../src/compiler/build-model-dir";
import { buildDemoModel } from "../../src/compiler/demo-model";
import { bundleDir, secondBundleDir } from "./bundles";

async function buildDemo(out: string, seed: number): Promise<void> {
  const bundle = await buildDemoModel({ seed });
  await writeBundleDir(bundle, out);
  console.log(`built the demo bundle (seed ${seed}) at ${out}`);
}

/** Builds what is missing; a MODEL_BUNDLE_DIR that does not exist is an error, not something to generate. */
export default async function setup(): Promise<void> {
  if (!existsSync(join(bundleDir, "manifest.json"))) {
    if (process.env.MODEL_BUNDLE_DIR) throw new Error(`no model bundle at MODEL_BUNDLE_DIR=${bundleDir}`);
    await buildDemo(bundleDir, 0);
  }
  if (!existsSync(join(secondBundleDir, "manifest.json"))) await buildDemo(secondBundleDir, 1);
}
