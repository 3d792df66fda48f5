// The committed resample kernel compiled from disk (Node: benchmarks, parity and tests; workerd gets wrangler's module).
import { readFileSync } from "node:fs";
import { WasmImageKernel } from "../engine/wasm/image-kernel";

let kernel: WasmImageKernel | undefined;

/** image-simd.wasm compiled from the committed file. */
export function nodeImageModule(): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL("../engine/wasm/image-simd.wasm", import.meta.url)));
}

/** One kernel per process (its calls are synchronous, like the isolate's). */
export function nodeImageKernel(): WasmImageKernel {
  kernel ??= new WasmImageKernel(nodeImageModule());
  return kernel;
}
