// The engine's kernel modules as wrangler compiled them at deploy time (workerd cannot compile wasm from bytes), and
// the engine's wasm memory for the x-engine-wasm-bytes header.
import relaxedModule from "../engine/wasm/int8-gemm-relaxed.wasm";
import simdModule from "../engine/wasm/int8-gemm-simd.wasm";
import type { WasmImageEncoder } from "../engine/wasm/image-encoder";
import { relaxedSimdSupported } from "../engine/wasm/int8-gemm";
import type { KernelModules } from "../engine/wasm/wasm-image-tower";

const engines = new Set<WasmImageEncoder>();

/** SIMD128 always; the relaxed module where this runtime validates relaxed SIMD (workerd's V8 does). */
export function engineKernelModules(): KernelModules {
  let relaxed = false;
  try {
    relaxed = relaxedSimdSupported();
  } catch {
    relaxed = false;
  }
  return relaxed ? { simd: simdModule, relaxed: relaxedModule } : { simd: simdModule };
}

export function trackEngine(engine: WasmImageEncoder): void {
  engines.add(engine);
}

/** Bytes of the engines' kernel memories in this isolate (0 when the image tower runs in onnxruntime-web). */
export function engineWasmBytes(): number {
  let total = 0;
  for (const e of engines) total += e.memoryBytes;
  return total;
}

/** The kernel the engines run ("relaxed" or "simd"), or "" when none was built in this isolate. */
export function engineKernel(): string {
  return [...new Set([...engines].map((e) => e.kind))].join(",");
}
