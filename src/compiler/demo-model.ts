// The `demo` bundle: a small random CLIP with its own small vocabulary, compiled by the same compiler as real models.
import { gzipSync } from "fflate";
import { createClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import { buildDemoMerges } from "../engine/tokenizer/demo-vocab";
import { ARCH_PRESETS, type ClipArch } from "./checkpoint/clip-arch";
import { randomAdapters, randomCheckpoint } from "./checkpoint/random-checkpoint";
import { compileBundle, defaultLayers, type CompiledBundle, type QuantOption } from "./compile-bundle";

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

export async function buildDemoModel(o: DemoModelOptions = {}): Promise<CompiledBundle> {
  const merges = buildDemoMerges();
  const vocabSize = createClipTokenizer(merges).vocabSize;
  const arch = demoArch(vocabSize);
  const seed = o.seed ?? 0;
  const ckpt = randomCheckpoint(arch, seed);
  const layers = defaultLayers(arch.vision.layers);
  return compileBundle(ckpt, {
    name: "demo",
    layers,
    quant: o.quant ?? "fp32",
    adapters: randomAdapters({ count: layers.length, width: arch.vision.width, embedDim: arch.embedDim, seed }),
    adapterSource: "random",
    vocabulary: gzipSync(new TextEncoder().encode(merges), { mtime: 0 }),
    random: true,
    onProgress: o.onProgress,
  });
}
