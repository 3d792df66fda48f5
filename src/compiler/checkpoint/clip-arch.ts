// The hyper-parameters of a CLIP ViT (what a config file says), named presets, and reading them off a checkpoint.
import type { Activation, ClipCheckpoint } from "./clip-checkpoint";

export interface VisionArch {
  imageSize: number;
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
}

export interface TextArch {
  contextLength: number;
  vocabSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
}

export interface ClipArch {
  embedDim: number;
  activation: Activation;
  layerNormEps: number;
  vision: VisionArch;
  text: TextArch;
}

const OPENAI_TEXT_B: TextArch = { contextLength: 77, vocabSize: 49408, width: 512, layers: 12, heads: 8, mlpWidth: 2048 };
const OPENAI_TEXT_L: TextArch = { contextLength: 77, vocabSize: 49408, width: 768, layers: 12, heads: 12, mlpWidth: 3072 };

function vit(imageSize: number, patchSize: number, width: number, layers: number): VisionArch {
  return { imageSize, patchSize, width, layers, heads: width / 64, mlpWidth: 4 * width };
}

/** OpenAI CLIP shapes (QuickGELU, as the OpenAI weights the method uses were trained with). */
export const ARCH_PRESETS = {
  "ViT-B-32": { embedDim: 512, activation: "quick_gelu", layerNormEps: 1e-5, vision: vit(224, 32, 768, 12), text: OPENAI_TEXT_B },
  "ViT-B-16": { embedDim: 512, activation: "quick_gelu", layerNormEps: 1e-5, vision: vit(224, 16, 768, 12), text: OPENAI_TEXT_B },
  "ViT-L-14": { embedDim: 768, activation: "quick_gelu", layerNormEps: 1e-5, vision: vit(224, 14, 1024, 24), text: OPENAI_TEXT_L },
  "ViT-L-14-336": { embedDim: 768, activation: "quick_gelu", layerNormEps: 1e-5, vision: vit(336, 14, 1024, 24), text: OPENAI_TEXT_L },
  // Small enough for tests and demos; full vocabulary so the real CLIP tokenizer's ids (up to 49407) are valid.
  tiny: {
    embedDim: 48,
    activation: "quick_gelu",
    layerNormEps: 1e-5,
    vision: { imageSize: 224, patchSize: 32, width: 64, layers: 4, heads: 4, mlpWidth: 256 },
    text: { contextLength: 77, vocabSize: 49408, width: 64, layers: 4, heads: 4, mlpWidth: 256 },
  },
} satisfies Record<string, ClipArch>;

export type ArchName = keyof typeof ARCH_PRESETS;

export function isArchName(name: string): name is ArchName {
  return Object.hasOwn(ARCH_PRESETS, name);
}

/** The hyper-parameters of an in-memory checkpoint. */
export function archOf(c: ClipCheckpoint): ClipArch {
  const v = c.vision;
  const t = c.text;
  return {
    embedDim: c.embedDim,
    activation: c.activation,
    layerNormEps: c.layerNormEps,
    vision: { imageSize: v.imageSize, patchSize: v.patchSize, width: v.width, layers: v.layers, heads: v.heads, mlpWidth: v.mlpWidth },
    text: { contextLength: t.contextLength, vocabSize: t.vocabSize, width: t.width, layers: t.layers, heads: t.heads, mlpWidth: t.mlpWidth },
  };
}

export function gridSize(v: Pick<VisionArch, "imageSize" | "patchSize">): number {
  return Math.floor(v.imageSize / v.patchSize);
}
