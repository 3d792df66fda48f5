// The frozen CLIP side of training (Node): compile a checkpoint without adapters, encode images to patch tokens, text.
import { memoryBundleReader } from "../engine/runtime/memory-bundle-reader";
import type { LayoutName } from "../compiler/checkpoint/detect-layout";
import { readFile } from "node:fs/promises";
import { readCheckpointDir } from "../compiler/checkpoint/read-checkpoint-dir";
import { compileBundle, defaultLayers } from "../compiler/compile-bundle";
import { readVocabulary } from "../compiler/vocabulary/read-vocabulary";
import { objectTextFeatures } from "../engine/detector/text-features";
import { decodeImage } from "../engine/image/decode";
import type { DecodedImage } from "../engine/image/decoded-image";
import { resizeMaskBilinear } from "../engine/image/mask";
import { preprocess } from "../engine/image/preprocess";
import { encodeImage } from "../engine/runtime/clip-encoders";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { createClipTokenizer, type ClipTokenizer } from "../engine/tokenizer/clip-tokenizer";

const MAX_PIXELS = 64e6;

export interface FrozenClipOptions {
  modelDir: string;
  layout?: LayoutName;
  /** Serving / training size S (default: the checkpoint's). */
  imageSize?: number;
  /** Tapped layers, one adapter each (default: the quarter points of the depth). */
  layers?: number[];
  /** A merges file (.txt.gz/.txt) or a Hugging Face tokenizer folder. */
  vocab: string;
  onProgress?: (message: string) => void;
}

export class FrozenClip {
  private readonly texts = new Map<string, Promise<Float32Array>>();

  private constructor(
    readonly bundle: ModelBundle,
    readonly tokenizer: ClipTokenizer,
    readonly layers: number[],
    readonly imageSize: number,
    readonly grid: number,
    readonly width: number,
    readonly embedDim: number,
  ) {}

  static async open(o: FrozenClipOptions): Promise<FrozenClip> {
    const progress = o.onProgress ?? (() => {});
    progress(`reading checkpoint ${o.modelDir}`);
    const ckpt = await readCheckpointDir(o.modelDir, { layout: o.layout });
    const vocabulary = await readVocabulary(o.vocab);
    const layers = o.layers ?? defaultLayers(ckpt.vision.layers);
    const compiled = await compileBundle(ckpt, {
      name: "train",
      imageSize: o.imageSize,
      layers,
      fewShotLayers: layers,
      vocabulary: vocabulary.gz,
      onProgress: progress,
    });
    const bundle = await ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
    const tokenizer = createClipTokenizer(vocabulary.mergesText);
    const m = compiled.manifest;
    return new FrozenClip(bundle, tokenizer, layers, m.imageSize, m.grid, ckpt.vision.width, ckpt.embedDim);
  }

  /** Prompt-ensemble text features [embedDim, 2] of an object name, computed once per name. */
  textFeatures(objectName: string): Promise<Float32Array> {
    let t = this.texts.get(objectName);
    if (!t) {
      t = objectTextFeatures(this.bundle, this.tokenizer, objectName);
      this.texts.set(objectName, t);
    }
    return t;
  }

  /** The method's image transform of a decoded image: [3, S, S]. */
  pixels(image: DecodedImage): Float32Array {
    const m = this.bundle.manifest;
    return preprocess(image, this.imageSize, m.mean, m.std);
  }

  /** Patch tokens [G*G, width] of every tapped layer (class token dropped), in the order of `layers`. */
  async patchTokens(pixels: Float32Array): Promise<Float32Array[]> {
    const enc = await encodeImage(this.bundle, pixels);
    return this.layers.map((l) => {
      const t = enc.tokens.get(l);
      if (!t) throw new Error(`image graph gave no tokens for layer ${l}`);
      return t.slice(this.width);
    });
  }
}

export async function readImageFile(path: string): Promise<DecodedImage> {
  return decodeImage(new Uint8Array(await readFile(path)), { maxPixels: MAX_PIXELS, applyExifOrientation: false });
}

/** A ground-truth mask file as the reference's target transform gives it: 0/1 [S*S]. */
export async function readMaskFile(path: string, size: number): Promise<Uint8Array> {
  return resizeMaskBilinear(await readImageFile(path), size);
}

/** A 0/1 mask at its image's resolution -> 0/1 [S*S] through the same transform as mask files. */
export function resizeBinaryMask(mask: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const data = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) data[i] = mask[i] ? 255 : 0;
  return resizeMaskBilinear({ width, height, channels: 1, data, mode: "L" }, size);
}
