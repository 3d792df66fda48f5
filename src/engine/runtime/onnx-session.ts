// The one module that touches onnxruntime-web: creates sessions with memory-lean options and serialises runs.
import * as ort from "onnxruntime-web";

export type FeedValue = { type: "float32"; data: Float32Array; dims: number[] } | { type: "int64"; data: BigInt64Array; dims: number[] };
export type Outputs = Record<string, { data: Float32Array; dims: number[] }>;

export interface SessionOptions {
  /** Pre-packing copies every weight into a second, kernel-friendly layout: faster, about twice the memory. */
  prepack?: boolean;
}

let configured = false;

/** One thread (workerd has none to spare and Node benchmarks compare single-thread figures); no proxy worker. */
function configure(): void {
  if (configured) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  configured = true;
}

export class OnnxModel {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(bytes: Uint8Array, options: SessionOptions = {}): Promise<OnnxModel> {
    configure();
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
      enableCpuMemArena: false,
      enableMemPattern: false,
      extra: { session: { disable_prepacking: options.prepack ? "0" : "1" } },
    });
    return new OnnxModel(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs are serialised: one ORT session is not re-entrant in the single-threaded WASM build. */
  run(feeds: Record<string, FeedValue>, outputs?: string[]): Promise<Outputs> {
    const next = this.queue.then(() => this.runNow(feeds, outputs));
    this.queue = next.catch(() => undefined);
    return next;
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

  async release(): Promise<void> {
    await this.queue;
    await this.session.release();
  }
}
