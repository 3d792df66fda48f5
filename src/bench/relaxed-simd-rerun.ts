// Node 20's V8 validates relaxed SIMD only behind a flag; the benchmark CLIs that time the relaxed kernel run
// themselves again with it.
import { spawnSync } from "node:child_process";
import { relaxedSimdSupported } from "../engine/wasm/int8-gemm";

const FLAG = "--experimental-wasm-relaxed-simd";

/**
 * When this Node lacks relaxed SIMD but is Node 20 without the flag, runs `script` (a path from the checkout's root)
 * again with the flag and the same arguments, then exits with its status; otherwise returns at once.
 */
export function rerunWithRelaxedSimd(script: string): void {
  if (relaxedSimdSupported() || !process.versions.node.startsWith("20.") || process.execArgv.includes(FLAG)) return;
  const child = spawnSync(process.execPath, [FLAG, "--import", "tsx", script, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
