// Node side of `model:build`: reads a checkpoint folder, adapter and vocabulary, compiles, writes the bundle folder.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { bundleFiles } from "../engine/runtime/bundle-manifest";
import { createClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import type { LayoutName } from "./checkpoint/detect-layout";
import { readAdapterFile, readCheckpointDir } from "./checkpoint/read-checkpoint-dir";
import type { ClipCheckpoint } from "./checkpoint/clip-checkpoint";
import { withPrecomputedTextFeatures } from "./precompute-text-features";
import { readVocabulary } from "./vocabulary/read-vocabulary";
import {
  CompileError,
  compileStagedBundle,
  defaultLayers,
  type CompiledBundle,
  type CompiledStagedBundle,
  type QuantOption,
  type StageOptions,
} from "./compile-bundle";

export interface BuildModelOptions extends StageOptions {
  from: string;
  out: string;
  layout?: LayoutName;
  imageSize?: number;
  layers?: number[];
  fewShotLayers?: number[];
  adapter?: string;
  /** A merges file (.txt.gz or .txt) or a Hugging Face tokenizer folder; default: OpenAI's, shipped in vocab/. */
  vocab?: string;
  quant?: QuantOption;
  /** Object names whose text features are computed now and stored in the bundle. */
  textFeatureObjects?: string[];
  onProgress?: (message: string) => void;
}

/** Checks that the vocabulary gives exactly the token table the text tower was trained with. */
export function checkVocabulary(mergesText: string, ckpt: ClipCheckpoint, vocabPath: string): void {
  let size: number;
  try {
    size = createClipTokenizer(mergesText).vocabSize;
  } catch (e) {
    throw new CompileError("bad_vocabulary", `${vocabPath} is not a BPE merges file: ${(e as Error).message}`);
  }
  if (size !== ckpt.text.vocabSize) {
    throw new CompileError(
      "vocab_mismatch",
      `${vocabPath} gives ${size} tokens but the text tower has ${ckpt.text.vocabSize} token embeddings (wrong --vocab?)`,
    );
  }
}

export async function compileCheckpointDir(o: BuildModelOptions): Promise<CompiledBundle | CompiledStagedBundle> {
  const progress = o.onProgress ?? (() => {});
  progress(`reading checkpoint ${o.from}`);
  const ckpt = await readCheckpointDir(o.from, { layout: o.layout });
  const vocabulary = await readVocabulary(o.vocab);
  progress(`vocabulary ${vocabulary.source}`);
  checkVocabulary(vocabulary.mergesText, ckpt, vocabulary.source);
  const layers = o.layers ?? defaultLayers(ckpt.vision.layers);
  const adapters = o.adapter ? await readAdapterFile(o.adapter, { count: layers.length, width: ckpt.vision.width, embedDim: ckpt.embedDim }) : undefined;
  const compiled = await compileStagedBundle(ckpt, {
    name: basename(o.out),
    imageSize: o.imageSize,
    layers,
    fewShotLayers: o.fewShotLayers,
    quant: o.quant,
    adapters,
    adapterSource: o.adapter ? basename(o.adapter) : undefined,
    vocabulary: vocabulary.gz,
    stages: o.stages,
    isolateBudgetMb: o.isolateBudgetMb,
    textStages: o.textStages,
    onProgress: progress,
  });
  return withPrecomputedTextFeatures(compiled, o.textFeatureObjects ?? [], progress);
}

/** Writes into a temporary sibling folder and renames it, so a failed build never leaves a half-written bundle. */
export async function writeBundleDir(bundle: CompiledBundle | CompiledStagedBundle, out: string): Promise<void> {
  const tmp = `${out}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [name, bytes] of Object.entries(bundle.files)) await writeFile(join(tmp, name), bytes);
  await writeFile(join(tmp, "manifest.json"), `${JSON.stringify(bundle.manifest, null, 2)}\n`);
  await rm(out, { recursive: true, force: true });
  await rename(tmp, out);
}

/** The one-line result of model:build / model:fetch: where, how big, which scheme, how many stages, which hash. */
export function bundleSummary(out: string, manifest: CompiledBundle["manifest"] | CompiledStagedBundle["manifest"]): string {
  const total = bundleFiles(manifest).reduce((s, f) => s + f.bytes, 0);
  const staged =
    "stages" in manifest ? `, ${manifest.stages.length} image stages (peaks predicted ${manifest.stages.map((s) => s.predictedPeakMb).join(", ")} MB)` : "";
  return `wrote ${out} (${(total / 1e6).toFixed(1)} MB, ${manifest.quantization}${staged}, model hash ${manifest.modelHash.slice(0, 12)})`;
}
