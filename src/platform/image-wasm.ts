// The image resize's SIMD kernel as wrangler compiled it at deploy time (workerd cannot compile wasm from bytes).
import resampleModule from "../engine/wasm/resample-simd.wasm";
import type { ResampleKernel } from "../engine/image/resize-pil";
import { WasmResampleKernel } from "../engine/wasm/resample-kernel";

let kernel: WasmResampleKernel | null | undefined;

/**
 * The isolate's one kernel (its calls are synchronous and never overlap), instantiated on first use; undefined where it
 * cannot be (the JS passes then run: same bytes).
 */
export function resampleKernel(): ResampleKernel | undefined {
  if (kernel === undefined) {
    try {
      kernel = new WasmResampleKernel(resampleModule);
    } catch {
      kernel = null;
    }
  }
  return kernel ?? undefined;
}

/** Bytes of the kernel's linear memory (0 before its first use). */
export function resampleKernelBytes(): number {
  return kernel?.memoryBytes ?? 0;
}
