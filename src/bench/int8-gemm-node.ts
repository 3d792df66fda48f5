// Loads the committed kernel modules from disk (Node: benchmarks and tests).
import { readFileSync } from "node:fs";
import { fewShotFromZeroShot, zeroShotFromEncoding } from "../engine/detector/analyse";
import type { ImageTower } from "../engine/detector/image-tower";
import { isStaged } from "../engine/runtime/bundle-manifest";
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
  const m = bundle.manifest;
  if (isStaged(m)) throw new Error("the wasm engine reads single-graph bundles only; this one is staged");
  const [graph, weights] = await Promise.all([bundle.readFile("image"), bundle.readFile("imageWeights")]);
  return WasmImageEncoder.create(await loadInt8Gemm(prefer), m, graph, weights);
}

/**
 * The engine's encoder as the scoring code's image tower (parity): encode on the engine, zero-shot and few-shot scoring
 * as the single graph does them, the few-shot head still in onnxruntime-web.
 */
export async function loadWasmImageTower(
  bundle: ModelBundle,
  prefer: GemmKind = "relaxed",
): Promise<{ tower: ImageTower; kind: GemmKind; memoryBytes: number }> {
  const engine = await loadWasmImageEncoder(bundle, prefer);
  const tower: ImageTower = {
    banksInStages: false,
    encode: async (pixels) => engine.encode(pixels),
    async analyse(pixels, textFeatures, fewShot) {
      const zs = zeroShotFromEncoding(bundle, engine.encode(pixels), textFeatures);
      const base = { zeroShotScore: zs.zeroShotScore, zeroShotMap: zs.zeroShotMap };
      if (!fewShot) return base;
      if (!fewShot.memory) throw new Error("the engine's tower searches the memory banks here: FewShotInput.memory is required");
      const fs = await fewShotFromZeroShot(bundle, zs, fewShot.memory);
      return { ...base, fewShot: { fewShotMap: fs.fewShotMap, combinedMap: fs.combinedMap, combinedMax: fs.combinedMax } };
    },
  };
  return { tower, kind: engine.kind, memoryBytes: engine.memoryBytes };
}
