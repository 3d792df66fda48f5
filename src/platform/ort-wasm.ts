// Hands onnxruntime-web the wasm module wrangler compiled at deploy time: workerd forbids compiling wasm at run time.
// A relative path: an "onnxruntime-web/..." specifier would be rewritten by the alias in wrangler.toml.
import ortWasmModule from "../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import { useOrtWasmModule } from "../engine/runtime/onnx-session";

let installed = false;
let memory: WebAssembly.Memory | undefined;

/** Idempotent; must run before the first ORT session is created in this isolate. */
export function installOrtWasm(): void {
  if (installed) return;
  installed = true;
  useOrtWasmModule(ortWasmModule, (instance, imports) => {
    // The threaded emscripten build creates its (shared) memory in JS and imports it; other builds export it.
    const candidates = [...Object.values(instance.exports), ...Object.values(imports).flatMap((m) => Object.values(m))];
    memory = candidates.find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
  });
}

/** Bytes of ORT's wasm linear memory (it only grows, so this is also its peak); 0 before ORT has started. */
export function ortWasmHeapBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}
