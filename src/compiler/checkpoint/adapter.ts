// APRIL-GAN adapters: `fc.{i}.weight` [embedDim, width] / `fc.{i}.bias` [embedDim] <-> Adapters.
import type { Adapters, Tensor } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";
import type { TensorSource } from "./tensor-map";
import { keysOf, rejectUnconsumed, take } from "./tensor-map";

const FC_WEIGHT = /^(.*?)fc\.(\d+)\.weight$/;

/** The common prefix before `fc.` (e.g. "" or "trainable_linearlayer."), from the weight keys present. */
function detectPrefix(keys: string[]): string {
  const prefixes = new Set(keys.map((k) => FC_WEIGHT.exec(k)?.[1]).filter((p): p is string => p !== undefined));
  if (prefixes.size === 0)
    throw new CheckpointError("missing_tensor", `adapter file has no "fc.{i}.weight" tensors (keys: ${keys.slice(0, 5).join(", ")})`, "fc.0.weight");
  if (prefixes.size > 1) throw new CheckpointError("unexpected_tensor", `adapter file mixes key prefixes: ${[...prefixes].map((p) => `"${p}"`).join(", ")}`);
  return [...prefixes][0]!;
}

export interface AdapterOptions {
  /** Number of adapters expected (the number of tapped layers); by default all of fc.0..fc.{n-1}. */
  count?: number;
  width: number;
  embedDim: number;
}

export function parseAdapters(tensors: TensorSource, options: AdapterOptions): Adapters {
  const keys = keysOf(tensors);
  const prefix = detectPrefix(keys);
  let count = options.count;
  if (count === undefined) {
    const present = new Set(
      keys
        .map((k) => FC_WEIGHT.exec(k))
        .filter((m) => m?.[1] === prefix)
        .map((m) => Number(m![2])),
    );
    count = 0;
    while (present.has(count)) count++;
  }
  const used = new Set<string>();
  const weights: Tensor[] = [];
  const biases: Tensor[] = [];
  for (let i = 0; i < count; i++) {
    const w = `${prefix}fc.${i}.weight`;
    const b = `${prefix}fc.${i}.bias`;
    weights.push(take(tensors, w, [options.embedDim, options.width]));
    biases.push(take(tensors, b, [options.embedDim]));
    used.add(w).add(b);
  }
  rejectUnconsumed(keys, used, () => false, "adapter");
  return { weights, biases };
}

/** The adapter state dict (`fc.{i}.weight`, `fc.{i}.bias`), tensors shared. */
export function adapterTensors(adapters: Adapters): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  adapters.weights.forEach((w, i) => {
    out[`fc.${i}.weight`] = w;
    out[`fc.${i}.bias`] = adapters.biases[i]!;
  });
  return out;
}
