// Loads the committed kernel modules from disk (Node: benchmarks and tests).
import { readFileSync } from "node:fs";
import type { ImageTower } from "../engine/detector/image-tower";
import type { ModelBundle } from "../engine/runtime/model-bundle";
import type { WasmImageEncoder } from "../engine/wasm/image-encoder";
import { type GemmKind, Int8Gemm, relaxedSimdSupported } from "../engine/wasm/int8-gemm";
import { createWasmImageEncoder, wasmImageTower } from "../engine/wasm/wasm-image-tower";

function compile(name: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL(`../engine/wasm/${name}`, import.meta.url)));
}

/** The relaxed kernel when this runtime validates relaxed SIMD (Node 20: `--experimental-wasm-relaxed-simd`). */
export function loadInt8Gemm(prefer: GemmKind = "relaxed"): Promise<Int8Gemm> {
  const relaxed = prefer === "relaxed" && relaxedSimdSupported() ? compile("int8-gemm-relaxed.wasm") : undefined;
  return Int8Gemm.create({ simd: compile("int8-gemm-simd.wasm"), ...(relaxed ? { relaxed } : {}) }, prefer);
}

/** The engine's image encoder on a bundle's image graph weights, packed once (Node: parity, benchmarks, tests). */
export function loadWasmImageEncoder(bundle: ModelBundle, prefer: GemmKind = "relaxed"): Promise<WasmImageEncoder> {
  const relaxed = prefer === "relaxed" && relaxedSimdSupported() ? compile("int8-gemm-relaxed.wasm") : undefined;
  return createWasmImageEncoder(bundle, { simd: compile("int8-gemm-simd.wasm"), ...(relaxed ? { relaxed } : {}) }, prefer);
}

/** The engine's encoder as the scoring code's image tower (parity), as the served ENGINE=wasm builds it. */
export async function loadWasmImageTower(
  bundle: ModelBundle,
  prefer: GemmKind = "relaxed",
): Promise<{ tower: ImageTower; kind: GemmKind; memoryBytes: number }> {
  const engine = await loadWasmImageEncoder(bundle, prefer);
  return { tower: wasmImageTower(bundle, engine), kind: engine.kind, memoryBytes: engine.memoryBytes };
}
