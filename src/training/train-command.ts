// `train-adapter` training mode (Node): dataset -> frozen features cached once -> epochs of Adam -> adapter.safetensors.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { LayoutName } from "../compiler/checkpoint/detect-layout";
import { readAdapterFile } from "../compiler/checkpoint/read-checkpoint-dir";
import type { DecodedImage } from "../engine/image/decoded-image";
import { AdapterObjective } from "./adapter-objective";
import { adapterFileBytes, initAdapterParams, paramsFromAdapters } from "./adapter-params";
import { FeatureCache } from "./feature-cache";
import { FrozenClip, readImageFile, readMaskFile, resizeBinaryMask } from "./frozen-clip";
import { findObjects, listTestImages, listTrainGood, type DatasetImage } from "./mvtec-dataset";
import { createRng } from "./prng";
import { synthesizeDefect } from "./synthetic-defects";
import { trainAdapter, type EpochReport } from "./train-loop";

export interface TrainCommandOptions {
  data: string;
  modelFrom: string;
  out: string;
  vocab: string;
  layout?: LayoutName;
  epochs: number;
  batchSize: number;
  lr: number;
  layers?: number[];
  imageSize?: number;
  /** Train on OBJECT/train/good with generated defects instead of the labelled test images. */
  synthetic: boolean;
  /** Synthetic defect variants per normal image (the normal image itself is also a sample). */
  variants: number;
  seed: number;
  /** Start from this adapter file instead of nn.Linear's random initialisation. */
  init?: string;
  memoryBudgetMB: number;
  onProgress?: (message: string) => void;
  onEpoch?: (report: EpochReport) => void;
}

export interface TrainSummary {
  out: string;
  bytes: number;
  layers: number[];
  imageSize: number;
  grid: number;
  samples: number;
  abnormalSamples: number;
  cacheOnDisk: boolean;
  cacheMB: number;
  encodeSeconds: number;
  epochs: EpochReport[];
}

export async function runTrainCommand(o: TrainCommandOptions): Promise<TrainSummary> {
  const progress = o.onProgress ?? (() => {});
  const clip = await FrozenClip.open({
    modelDir: o.modelFrom,
    layout: o.layout,
    imageSize: o.imageSize,
    layers: o.layers,
    vocab: o.vocab,
    onProgress: progress,
  });
  const objects = findObjects(o.data);
  const lists = objects.map((ob) => (o.synthetic ? listTrainGood(ob.dir, ob.name) : listTestImages(ob.dir, ob.name)));
  const images = lists.flat();
  if (images.length === 0) throw new Error(`no ${o.synthetic ? "train/good" : "test"} images under ${o.data}`);
  const perImage = o.synthetic ? 1 + o.variants : 1;
  const cache = new FeatureCache({
    layers: clip.layers.length,
    floatsPerLayer: clip.grid * clip.grid * clip.width,
    expected: images.length * perImage,
    memoryBudget: o.memoryBudgetMB * 1e6,
  });
  try {
    const rng = createRng(o.seed);
    const started = performance.now();
    let abnormal = 0;
    const encode = async (image: DecodedImage, item: DatasetImage, mask: Uint8Array | null) => {
      const tokens = await clip.patchTokens(clip.pixels(image));
      cache.add({ tokens, text: await clip.textFeatures(item.object), mask });
      if (mask?.some((v) => v !== 0)) abnormal++;
    };
    progress(
      `encoding ${images.length * perImage} samples from ${images.length} images (${objects.map((ob) => ob.name).join(", ")})` +
        `${cache.onDisk ? ", features cached in a temporary file" : ""}`,
    );
    for (const [li, list] of lists.entries()) {
      for (const [k, item] of list.entries()) {
        const image = await readImageFile(item.image);
        if (!o.synthetic) {
          await encode(image, item, item.mask ? await readMaskFile(item.mask, clip.imageSize) : null);
        } else {
          await encode(image, item, null);
          for (let v = 0; v < o.variants; v++) {
            const other = list.length > 1 ? (k + 1 + rng.int(list.length - 1)) % list.length : k;
            const texture = other === k ? image : await readImageFile(list[other]!.image);
            const d = synthesizeDefect(image, texture, rng);
            const synthetic: DecodedImage = { ...d.image, mode: d.image.channels === 3 ? "RGB" : "L" };
            await encode(synthetic, item, resizeBinaryMask(d.mask, d.image.width, d.image.height, clip.imageSize));
          }
        }
        if ((k + 1) % 10 === 0 || k + 1 === list.length) progress(`${objects[li]!.name}: encoded ${k + 1}/${list.length} images`);
      }
    }
    const encodeSeconds = (performance.now() - started) / 1000;
    progress(
      `${cache.count} samples (${abnormal} with defect pixels at ${clip.imageSize}px), ${(cache.bytes / 1e6).toFixed(1)} MB of features, ${encodeSeconds.toFixed(1)} s`,
    );

    const params = o.init
      ? paramsFromAdapters(await readAdapterFile(o.init, { count: clip.layers.length, width: clip.width, embedDim: clip.embedDim }))
      : initAdapterParams(clip.layers.length, clip.width, clip.embedDim, rng);
    const objective = new AdapterObjective(clip.grid, clip.imageSize, clip.width, clip.embedDim);
    const epochs = trainAdapter(objective, params, cache, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      adam: { lr: o.lr },
      rng,
      onEpoch: o.onEpoch,
    });
    const bytes = adapterFileBytes(params, {
      layers: clip.layers.join(","),
      image_size: String(clip.imageSize),
      epochs: String(o.epochs),
      samples: String(cache.count),
      synthetic: String(o.synthetic),
      final_loss: String(epochs.at(-1)?.loss ?? NaN),
    });
    await mkdir(dirname(o.out), { recursive: true });
    await writeFile(o.out, bytes);
    return {
      out: o.out,
      bytes: bytes.length,
      layers: clip.layers,
      imageSize: clip.imageSize,
      grid: clip.grid,
      samples: cache.count,
      abnormalSamples: abnormal,
      cacheOnDisk: cache.onDisk,
      cacheMB: cache.bytes / 1e6,
      encodeSeconds,
      epochs,
    };
  } finally {
    cache.close();
  }
}
