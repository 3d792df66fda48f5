// The image SIMD kernels (resample passes, PNG unfiltering, the map PNG's scanlines and compressor) as wrangler compiled
// them at deploy time (workerd cannot compile wasm from bytes).
import imageKernelModule from "../engine/wasm/image-simd.wasm";
import type { ImageKernel } from "../engine/image/image-kernel";
import { WasmImageKernel } from "../engine/wasm/image-kernel";

let kernel: WasmImageKernel | null | undefined;

/**
 * The isolate's one kernel (its calls are synchronous and never overlap), instantiated on first use; undefined where it
 * cannot be (the JS passes then run: same bytes).
 */
export function imageKernel(): ImageKernel | undefined {
  if (kernel === undefined) {
    try {
      kernel = new WasmImageKernel(imageKernelModule);
    } catch {
      kernel = null;
    }
  }
  return kernel ?? undefined;
}

/** Bytes of the kernel's linear memory (0 before its first use). */
export function imageKernelBytes(): number {
  return kernel?.memoryBytes ?? 0;
}
