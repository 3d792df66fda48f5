// Embeds a reference set's shots with the served model: memory banks of every few-shot layer and the calibration.
import { buildMemory } from "../engine/detector/analyse";
import { calibrateShots } from "../engine/detector/shot-calibration";
import { ImageError } from "../engine/image/image-error";
import { sha256Hex } from "../engine/runtime/bundle-manifest";
import type { ImageEncoding } from "../engine/runtime/clip-encoders";
import { PROMPT_SET_VERSION } from "../engine/anomaly/prompts";
import { modelInput } from "./image-input";
import type { ModelRuntime } from "./model-runtime";
import type { EmbeddingKey, ReferenceEmbedding, ShotInfo } from "./reference-set-store";

/** The model and prompt set whose features the runtime serves now. */
export function currentEmbeddingKey(runtime: ModelRuntime): EmbeddingKey {
  return { modelHash: runtime.modelHash, promptSet: PROMPT_SET_VERSION };
}

export interface EmbeddedShots {
  embedding: ReferenceEmbedding;
  shots: ShotInfo[];
}

/**
 * Decodes and encodes the shots one at a time (one decoded image in memory at once), then calibrates the set by
 * leave-one-out (calibrateShots) and keeps the raw patch tokens of every few-shot layer as the memory bank.
 * Throws ImageError on the first bad shot, naming its index in `details.shot`.
 */
export async function embedShots(runtime: ModelRuntime, object: string, images: readonly Uint8Array[], maxPixels: number): Promise<EmbeddedShots> {
  const m = runtime.bundle.manifest;
  const { features } = await runtime.textFeatures(object);
  const encodings: ImageEncoding[] = [];
  const shots: ShotInfo[] = [];
  for (const [index, bytes] of images.entries()) {
    let input: ReturnType<typeof modelInput>;
    try {
      input = modelInput(bytes, m, maxPixels);
    } catch (e) {
      throw withShotIndex(e, index);
    }
    try {
      encodings.push(await runtime.tower.encode(input.pixels));
    } finally {
      input.release();
    }
    shots.push({ format: input.format, width: input.width, height: input.height, bytes: bytes.length, sha256: await sha256Hex(bytes) });
  }
  const calibration = await calibrateShots(runtime.bundle, encodings, features);
  const embedding: ReferenceEmbedding = {
    ...currentEmbeddingKey(runtime),
    createdAt: new Date().toISOString(),
    calibration,
    width: m.architecture.vision.width,
    memory: buildMemory(runtime.bundle, encodings),
  };
  return { embedding, shots };
}

function withShotIndex(e: unknown, index: number): unknown {
  if (!(e instanceof ImageError)) return e;
  return new ImageError(e.code, `images[${index}]: ${e.message}`, { ...e.details, shot: index }, { cause: e });
}
