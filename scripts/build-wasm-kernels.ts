// CLI: compiles the engine's AssemblyScript kernels (src/engine/wasm/assembly) into the committed .wasm files.
// npm run build:kernels [-- --check]   (--check: fail if the committed files differ from a fresh build)
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { compileKernels } from "../src/tools/wasm-kernels-build";

const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
const built = await compileKernels();
let stale = 0;
for (const [path, bytes] of Object.entries(built)) {
  let same = false;
  try {
    same = Buffer.from(readFileSync(path)).equals(Buffer.from(bytes));
  } catch {
    same = false;
  }
  if (values.check) {
    if (!same) stale++;
    console.log(`${same ? "up to date" : "STALE"}: ${path} (${bytes.length} bytes)`);
  } else {
    writeFileSync(path, bytes);
    console.log(`wrote ${path} (${bytes.length} bytes)`);
  }
}
if (stale > 0) process.exit(1);
