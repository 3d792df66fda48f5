// The engine's image encoder as the scoring code's image tower: encode on the wasm kernels, zero-shot and few-shot
// scoring as the single graph does them (the few-shot head still in onnxruntime-web). Pure: the kernel modules come
// from the caller (Node reads the files, workerd imports them precompiled).
import { type ImageTower, localEncoderTower } from "../detector/image-tower";
import { isStaged } from "../runtime/bundle-manifest";
import type { ModelBundle } from "../runtime/model-bundle";
import { WasmImageEncoder } from "./image-encoder";
import { type GemmKind, Int8Gemm } from "./int8-gemm";

export interface KernelModules {
  simd: WebAssembly.Module;
  /** Only where the runtime validates relaxed SIMD. */
  relaxed?: WebAssembly.Module;
}

/** The engine's image encoder on a bundle's image graph weights, packed once into fresh kernel memory. */
export async function createWasmImageEncoder(bundle: ModelBundle, modules: KernelModules, prefer: GemmKind = "relaxed"): Promise<WasmImageEncoder> {
  const m = bundle.manifest;
  if (isStaged(m)) throw new Error("the wasm engine reads single-graph bundles only; this one is staged");
  const [graph, weights] = await Promise.all([bundle.readFile("image"), bundle.readFile("imageWeights")]);
  return WasmImageEncoder.create(await Int8Gemm.create(modules, prefer), m, graph, weights);
}

export function wasmImageTower(bundle: ModelBundle, engine: WasmImageEncoder): ImageTower {
  return localEncoderTower(bundle, "the engine's tower", (pixels) => engine.encode(pixels));
}
