// Loads the committed kernel modules from disk (Node: benchmarks and tests).
import { readFileSync } from "node:fs";
import type { ModelBundle } from "../engine/runtime/model-bundle";
import { WasmImageEncoder } from "../engine/wasm/image-encoder";
import { type GemmKind, Int8Gemm, relaxedSimdSupported } from "../engine/wasm/int8-gemm";

function compile(name: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL(`../engine/wasm/${name}`, import.meta.url)));
}

/** The relaxed kernel when this runtime validates relaxed SIMD (Node 20: `--experimental-wasm-relaxed-simd`). */
export function loadInt8Gemm(prefer: GemmKind = "relaxed"): Promise<Int8Gemm> {
  const relaxed = prefer === "relaxed" && relaxedSimdSupported() ? compile("int8-gemm-relaxed.wasm") : undefined;
  return Int8Gemm.create({ simd: compile("int8-gemm-simd.wasm"), ...(relaxed ? { relaxed } : {}) }, prefer);
}

/** The engine's image encoder on a bundle's image graph weights, packed once (Node: parity, benchmarks, tests). */
export async function loadWasmImageEncoder(bundle: ModelBundle, prefer: GemmKind = "relaxed"): Promise<WasmImageEncoder> {
  const [graph, weights] = await Promise.all([bundle.readFile("image"), bundle.readFile("imageWeights")]);
  return WasmImageEncoder.create(await loadInt8Gemm(prefer), bundle.manifest, graph, weights);
}
