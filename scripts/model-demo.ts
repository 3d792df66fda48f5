// CLI: writes the `demo` bundle (random tiny CLIP + its own vocabulary) to models/demo, or --out DIR.
import { bundleFiles } from "../src/engine/runtime/bundle-manifest";
import { parseArgs } from "node:util";
import { writeBundleDir } from "../src/compiler/build-model-dir";
import { buildDemoModel } from "../src/compiler/demo-model";

const { values } = parseArgs({ options: { out: { type: "string", default: "models/demo" }, seed: { type: "string", default: "0" } } });
const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`model:demo: --seed must be an integer, got ${values.seed}`);
  process.exit(2);
}
const bundle = await buildDemoModel({ seed, onProgress: (m) => console.error(m) });
await writeBundleDir(bundle, values.out!);
const total = bundleFiles(bundle.manifest).reduce((s, f) => s + f.bytes, 0);
console.log(`wrote ${values.out} (random demo model, ${(total / 1e6).toFixed(1)} MB, model hash ${bundle.manifest.modelHash.slice(0, 12)})`);
