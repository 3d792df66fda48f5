// The `demo` bundle: a small random CLIP with its own small vocabulary, compiled by the same compiler as real models.
import { gzipSync } from "fflate";
import { createClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import { buildDemoMerges } from "../engine/tokenizer/demo-vocab";
import { ARCH_PRESETS, type ClipArch } from "./checkpoint/clip-arch";
import { randomAdapters, randomCheckpoint } from "./checkpoint/random-checkpoint";
import {
  compileBundle,
  compileStagedBundle,
  defaultLayers,
  type CompiledBundle,
  type CompiledStagedBundle,
  type CompileOptions,
  type QuantOption,
} from "./compile-bundle";
import type { ClipCheckpoint } from "./checkpoint/clip-checkpoint";

export interface DemoModelOptions {
  seed?: number;
  quant?: QuantOption;
  onProgress?: (message: string) => void;
}

/** Tiny image and text towers (ViT patch 32 at 224, 4 blocks) whose token table matches the demo vocabulary. */
export function demoArch(vocabSize: number): ClipArch {
  const tiny = ARCH_PRESETS.tiny;
  return { ...tiny, text: { ...tiny.text, vocabSize } };
}

function demoInputs(o: DemoModelOptions): { ckpt: ClipCheckpoint; options: CompileOptions } {
  const merges = buildDemoMerges();
  const vocabSize = createClipTokenizer(merges).vocabSize;
  const arch = demoArch(vocabSize);
  const seed = o.seed ?? 0;
  const layers = defaultLayers(arch.vision.layers);
  return {
    ckpt: randomCheckpoint(arch, seed),
    options: {
      name: "demo",
      layers,
      quant: o.quant ?? "fp32",
      adapters: randomAdapters({ count: layers.length, width: arch.vision.width, embedDim: arch.embedDim, seed }),
      adapterSource: "random",
      vocabulary: gzipSync(new TextEncoder().encode(merges), { mtime: 0 }),
      random: true,
      onProgress: o.onProgress,
    },
  };
}

export async function buildDemoModel(o: DemoModelOptions = {}): Promise<CompiledBundle> {
  const { ckpt, options } = demoInputs(o);
  return compileBundle(ckpt, options);
}

/** The same demo model with its image tower in `stages` stages (2..4: one per block at most). */
export async function buildStagedDemoModel(o: DemoModelOptions & { stages: number; textStages?: number }): Promise<CompiledStagedBundle> {
  const { ckpt, options } = demoInputs(o);
  const compiled = await compileStagedBundle(ckpt, { ...options, stages: o.stages, ...(o.textStages ? { textStages: o.textStages } : {}) });
  if (!("stages" in compiled.manifest)) throw new Error(`--stages ${o.stages} gave a single-graph bundle`);
  return compiled as CompiledStagedBundle;
}
