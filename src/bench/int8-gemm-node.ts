// Loads the committed kernel modules from disk (Node: benchmarks and tests).
import { readFileSync } from "node:fs";
import type { ImageTower } from "../engine/detector/image-tower";
import type { ModelBundle } from "../engine/runtime/model-bundle";
import type { WasmImageEncoder } from "../engine/wasm/image-encoder";
import { type GemmKind, Int8Gemm, type RelaxedBlocking, relaxedSimdSupported } from "../engine/wasm/int8-gemm";
import { createWasmImageEncoder, type KernelModules, wasmImageTower } from "../engine/wasm/wasm-image-tower";
import { createWasmStageGraph, type WasmStageGraph } from "../engine/wasm/wasm-stage-graph";

function compile(name: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL(`../engine/wasm/${name}`, import.meta.url)));
}

/**
 * The relaxed kernel when this runtime validates relaxed SIMD (Node 20: `--experimental-wasm-relaxed-simd`);
 * `blocking` overrides the runtime's default register blocking of the relaxed kernel.
 */
export function loadInt8Gemm(prefer: GemmKind = "relaxed", blocking?: RelaxedBlocking): Promise<Int8Gemm> {
  return Int8Gemm.create(nodeKernelModules(prefer), prefer, blocking);
}

/** The committed kernel modules; the relaxed one only when asked for and this runtime validates relaxed SIMD. */
export function nodeKernelModules(prefer: GemmKind = "relaxed"): KernelModules {
  const relaxed = prefer === "relaxed" && relaxedSimdSupported() ? compile("int8-gemm-relaxed.wasm") : undefined;
  return { simd: compile("int8-gemm-simd.wasm"), ...(relaxed ? { relaxed } : {}) };
}

/** The engine's image encoder on a bundle's image graph weights, packed once (Node: parity, benchmarks, tests). */
export function loadWasmImageEncoder(bundle: ModelBundle, prefer: GemmKind = "relaxed"): Promise<WasmImageEncoder> {
  return createWasmImageEncoder(bundle, nodeKernelModules(prefer), prefer);
}

/** Image-tower stage `index` of a staged bundle on the engine's kernels (Node: parity, tests). */
export function loadWasmStageGraph(bundle: ModelBundle, index: number, prefer: GemmKind = "relaxed"): Promise<WasmStageGraph> {
  return createWasmStageGraph(bundle, index, nodeKernelModules(prefer), prefer);
}

/** The engine's encoder as the scoring code's image tower (parity), as the served ENGINE=wasm builds it. */
export async function loadWasmImageTower(
  bundle: ModelBundle,
  prefer: GemmKind = "relaxed",
): Promise<{ tower: ImageTower; kind: GemmKind; memoryBytes: number }> {
  const engine = await loadWasmImageEncoder(bundle, prefer);
  return { tower: wasmImageTower(bundle, engine), kind: engine.kind, memoryBytes: engine.memoryBytes };
}
