// Captures the WebAssembly.Memory of modules instantiated after install(), so benchmarks can report ORT's wasm heap.

const memories: WebAssembly.Memory[] = [];
let installed = false;

/** Must run before onnxruntime-web instantiates its module. */
export function installWasmMemoryProbe(): void {
  if (installed) return;
  installed = true;
  const original = WebAssembly.instantiate.bind(WebAssembly);
  // The threaded ORT build imports its memory (env.memory) instead of exporting it: look at both sides.
  const capture = (instance: WebAssembly.Instance, imports?: WebAssembly.Imports) => {
    const candidates = [...Object.values(instance.exports), ...Object.values(imports ?? {}).flatMap((m) => Object.values(m))];
    for (const value of candidates) if (value instanceof WebAssembly.Memory && !memories.includes(value)) memories.push(value);
  };
  (WebAssembly as { instantiate: unknown }).instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    const result = await (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
    capture(result instanceof WebAssembly.Instance ? result : (result as WebAssembly.WebAssemblyInstantiatedSource).instance, imports);
    return result;
  };
}

/** Current size of every captured wasm memory in bytes; wasm memory never shrinks, so this is also its peak. */
export function wasmMemoryBytes(): number {
  return memories.reduce((sum, m) => sum + m.buffer.byteLength, 0);
}
