// Test helpers: tiny CLIP architectures, in-memory bundle readers and comparison metrics for compiled graphs.
import type { ClipArch } from "../../src/compiler/checkpoint/clip-arch";
import type { Activation } from "../../src/compiler/checkpoint/clip-checkpoint";
import type { CompiledBundle } from "../../src/compiler/compile-bundle";
import { ModelBundle, type BundleReader } from "../../src/engine/runtime/model-bundle";

export interface TinyArchOptions {
  activation?: Activation;
  width?: number;
  layers?: number;
  heads?: number;
  patchSize?: number;
  imageSize?: number;
  embedDim?: number;
  textWidth?: number;
  textLayers?: number;
  textHeads?: number;
  vocabSize?: number;
}

/** A small ViT/text CLIP (defaults: width 32, 3 blocks, 2 heads, patch 8, image 32 -> grid 4, vocab 64). */
export function tinyArch(o: TinyArchOptions = {}): ClipArch {
  const width = o.width ?? 32;
  const textWidth = o.textWidth ?? width;
  return {
    embedDim: o.embedDim ?? 16,
    activation: o.activation ?? "gelu",
    layerNormEps: 1e-5,
    vision: {
      imageSize: o.imageSize ?? 32,
      patchSize: o.patchSize ?? 8,
      width,
      layers: o.layers ?? 3,
      heads: o.heads ?? 2,
      mlpWidth: 4 * width,
    },
    text: {
      contextLength: 77,
      vocabSize: o.vocabSize ?? 64,
      width: textWidth,
      layers: o.textLayers ?? 2,
      heads: o.textHeads ?? 2,
      mlpWidth: 4 * textWidth,
    },
  };
}

/** Serves a compiled bundle from memory; `files` overrides (or, with null, removes) individual files. */
export function memoryReader(bundle: CompiledBundle, files: Record<string, Uint8Array | null> = {}): BundleReader {
  const all: Record<string, Uint8Array | null> = {
    ...bundle.files,
    "manifest.json": new TextEncoder().encode(JSON.stringify(bundle.manifest)),
    ...files,
  };
  return {
    async read(path: string): Promise<Uint8Array> {
      const bytes = all[path];
      if (!bytes) throw new Error(`ENOENT: ${path}`);
      return bytes;
    },
  };
}

/** Bytes of one graph: its .onnx file plus its external weight file when the bundle has one (`imageWeights`...). */
export function graphBytes(bundle: CompiledBundle, graph: "image" | "text"): number {
  return Object.entries(bundle.manifest.files)
    .filter(([role]) => role === graph || role === `${graph}Weights`)
    .reduce((sum, [, entry]) => sum + entry.bytes, 0);
}

export function openInMemory(bundle: CompiledBundle): Promise<ModelBundle> {
  return ModelBundle.open(memoryReader(bundle));
}

/** Deterministic uniform values in [lo, hi) from a seeded LCG. */
export function seededUniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

/** max |a - b| / max |b|: the error relative to the scale of the expected tensor. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new RangeError(`length ${actual.length} != ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}
