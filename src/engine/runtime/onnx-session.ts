// The one module that touches onnxruntime-web: creates sessions with memory-lean options and serialises runs.
import * as ort from "onnxruntime-web";

export type FeedValue = { type: "float32"; data: Float32Array; dims: number[] } | { type: "int64"; data: BigInt64Array; dims: number[] };
export type Outputs = Record<string, { data: Float32Array; dims: number[] }>;

export interface SessionOptions {
  /**
   * ORT's defaults: weight pre-packing (a second, kernel-friendly copy of every weight), the CPU memory arena and
   * memory-pattern planning. Off by default: measured here they cost memory and bought no speed (README).
   */
  ortDefaults?: boolean;
  /** ORT's per-node profiler (benchmarks only): its WASM build prints the events to the console at `endProfiling`. */
  enableProfiling?: boolean;
}

let configured = false;

/**
 * ORT-web's WASM glue is not safe against interleaving across sessions: a session created and run while another
 * session's run is in flight makes one of the two runs return null outputs. So every ORT call of every session
 * (create, run, release) goes through this one queue; single-threaded WASM could not overlap them anyway.
 */
let ortQueue: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const next = ortQueue.then(fn);
  ortQueue = next.catch(() => undefined);
  return next;
}

/**
 * For runtimes that cannot compile wasm from bytes (workerd): ORT instantiates the given precompiled module, the
 * one matching the onnxruntime-web build in use. Call before the first load. `onInstance` sees the instance and
 * its imports (this emscripten build creates its memory in JS and imports it). ORT hands `env.wasm.wasmBinary` to
 * emscripten, which calls `WebAssembly.instantiate(bytes, imports)`: that one call, recognised by the placeholder
 * buffer, is answered from `module`, and the original function is restored.
 */
export function useOrtWasmModule(module: WebAssembly.Module, onInstance?: (instance: WebAssembly.Instance, imports: WebAssembly.Imports) => void): void {
  const placeholder = new ArrayBuffer(8);
  const wasm = WebAssembly as unknown as { instantiate: (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown> };
  const original = wasm.instantiate;
  wasm.instantiate = async (source, imports) => {
    const bytes = source instanceof ArrayBuffer ? source : ArrayBuffer.isView(source) ? source.buffer : undefined;
    if (bytes !== placeholder) return original.call(WebAssembly, source, imports);
    wasm.instantiate = original;
    const instance = (await original.call(WebAssembly, module, imports)) as WebAssembly.Instance;
    onInstance?.(instance, imports ?? {});
    return { instance, module };
  };
  ort.env.wasm.wasmBinary = placeholder;
}

/** One thread (workerd has none to spare and Node benchmarks compare single-thread figures); no proxy worker. */
function configure(): void {
  if (configured) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  configured = true;
}

export class OnnxModel {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** `externalData`: the graph's external weight file, by the name the graph refers to it with. */
  static async load(bytes: Uint8Array, options: SessionOptions = {}, externalData?: { path: string; data: Uint8Array }): Promise<OnnxModel> {
    configure();
    const session = await serialised(() =>
      ort.InferenceSession.create(bytes, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
        enableCpuMemArena: options.ortDefaults ?? false,
        enableMemPattern: options.ortDefaults ?? false,
        enableProfiling: options.enableProfiling ?? false,
        extra: { session: { disable_prepacking: options.ortDefaults ? "0" : "1" } },
        ...(externalData ? { externalData: [externalData] } : {}),
      }),
    );
    return new OnnxModel(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs are serialised with every other ORT call of every session (see `serialised`). */
  run(feeds: Record<string, FeedValue>, outputs?: string[]): Promise<Outputs> {
    return serialised(() => this.runNow(feeds, outputs));
  }

  private async runNow(feeds: Record<string, FeedValue>, outputs?: string[]): Promise<Outputs> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor(f.type, f.data, f.dims);
    const result = outputs ? await this.session.run(tensors, outputs) : await this.session.run(tensors);
    const out: Outputs = {};
    for (const [name, t] of Object.entries(result)) {
      out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
      t.dispose();
    }
    return out;
  }

  /** Ends ORT's profiler of a session created with `enableProfiling` (its WASM build prints the events). */
  async endProfiling(): Promise<void> {
    await serialised(async () => this.session.endProfiling());
  }

  async release(): Promise<void> {
    await serialised(() => this.session.release());
  }
}
