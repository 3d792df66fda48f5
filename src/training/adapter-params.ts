// Adapter parameters: torch nn.Linear initialisation, conversion from/to the checkpoint form and the safetensors file.
import { adapterTensors } from "../compiler/checkpoint/adapter";
import type { Adapters } from "../compiler/checkpoint/clip-checkpoint";
import { serializeSafetensors } from "../compiler/checkpoint/safetensors";
import type { AdapterParams } from "./adapter-objective";
import type { Rng } from "./prng";

/** nn.Linear(width, embedDim) defaults: weight and bias uniform in +-1/sqrt(width) (kaiming_uniform, a = sqrt(5)). */
export function initAdapterParams(layers: number, width: number, embedDim: number, rng: Rng): AdapterParams {
  const bound = 1 / Math.sqrt(width);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
  return {
    width,
    embedDim,
    weights: Array.from({ length: layers }, () => fill(embedDim * width)),
    biases: Array.from({ length: layers }, () => fill(embedDim)),
  };
}

/** Copies checkpoint adapters (e.g. a previous run) into trainable parameters. */
export function paramsFromAdapters(adapters: Adapters): AdapterParams {
  const [embedDim, width] = adapters.weights[0]!.shape as [number, number];
  return {
    width,
    embedDim,
    weights: adapters.weights.map((t) => Float32Array.from(t.data)),
    biases: adapters.biases.map((t) => Float32Array.from(t.data)),
  };
}

export function adaptersFromParams(p: AdapterParams): Adapters {
  return {
    weights: p.weights.map((data) => ({ shape: [p.embedDim, p.width], data })),
    biases: p.biases.map((data) => ({ shape: [p.embedDim], data })),
  };
}

/** The adapter file `model:build --adapter` reads: F32 `fc.{i}.weight` [embedDim, width], `fc.{i}.bias` [embedDim]. */
export function adapterFileBytes(p: AdapterParams, metadata?: Record<string, string>): Uint8Array {
  return serializeSafetensors(adapterTensors(adaptersFromParams(p)), "F32", metadata);
}
