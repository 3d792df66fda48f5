// ENGINE: what runs the image tower's blocks. "auto" (the default) picks the engine's wasm kernels for the one scheme
// they implement (int8-dynamic) and onnxruntime-web for every other; "ort" and "wasm" force one.
import type { BundleManifest } from "../engine/runtime/bundle-manifest";

export const ENGINE_SETTINGS = ["auto", "ort", "wasm"] as const;
export type EngineSetting = (typeof ENGINE_SETTINGS)[number];

/** onnxruntime-web (the reference) or the engine's wasm kernels. */
export type ImageEngine = "ort" | "wasm";

export function imageEngineFor(setting: EngineSetting, quantization: BundleManifest["quantization"]): ImageEngine {
  if (setting !== "auto") return setting;
  return quantization === "int8-dynamic" ? "wasm" : "ort";
}
