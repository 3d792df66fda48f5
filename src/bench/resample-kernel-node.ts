// The committed resample kernel compiled from disk (Node: benchmarks, parity and tests; workerd gets wrangler's module).
import { readFileSync } from "node:fs";
import { WasmResampleKernel } from "../engine/wasm/resample-kernel";

let kernel: WasmResampleKernel | undefined;

/** resample-simd.wasm compiled from the committed file. */
export function nodeResampleModule(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL("../engine/wasm/resample-simd.wasm", import.meta.url)));
}

/** One kernel per process (its calls are synchronous, like the isolate's). */
export function nodeResampleKernel(): WasmResampleKernel {
  kernel ??= new WasmResampleKernel(nodeResampleModule());
  return kernel;
}
