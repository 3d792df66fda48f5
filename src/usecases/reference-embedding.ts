// Embeds a reference set's shots with the served model: memory banks of every few-shot layer and the calibration.
import { calibrateFromLeaveOneOut } from "../engine/anomaly/calibration";
import { ImageError } from "../engine/image/image-error";
import type { ImageKernel } from "../engine/image/image-kernel";
import { sha256Hex } from "../engine/runtime/bundle-manifest";
import { PROMPT_SET_VERSION } from "../engine/anomaly/prompts";
import { referenceShotLimit } from "../engine/staging/reference-shot-limit";
import type { StageTrace } from "../engine/staging/stage-trace";
import { DomainError } from "./domain-error";
import { modelInput } from "./image-input";
import { MAX_SHOTS } from "./limits";
import type { ModelRuntime } from "./model-runtime";
import type { EmbeddingKey, EmbeddingToStore, ReferenceEmbedding, ShotInfo } from "./reference-set-store";

/** The model and prompt set whose features the runtime serves now. */
export function currentEmbeddingKey(runtime: ModelRuntime): EmbeddingKey {
  return { modelHash: runtime.modelHash, promptSet: PROMPT_SET_VERSION };
}

export interface EmbeddedShots {
  embedding: EmbeddingToStore;
  shots: ShotInfo[];
  /** A staged tower's hops: one per image stage for all shots. */
  stages?: StageTrace;
}

/**
 * Decodes the shots one at a time as the image tower asks for them, calibrates the set by leave-one-out
 * (calibrateFromLeaveOneOut on the tower's values) and keeps the raw patch tokens of every few-shot layer as the memory
 * bank: in this isolate for a single graph, in the stages (one call per stage for all shots) for a staged tower.
 * Throws ImageError on the first bad shot, naming its index in `details.shot`.
 */
export async function embedShots(
  runtime: ModelRuntime,
  object: string,
  images: readonly Uint8Array[],
  maxPixels: number,
  imageKernel?: ImageKernel,
): Promise<EmbeddedShots> {
  const m = runtime.bundle.manifest;
  const maxShots = referenceShotLimit(m, MAX_SHOTS);
  if (images.length > maxShots) {
    throw new DomainError(
      "rejected",
      "invalid_request",
      `images: the served model takes at most ${maxShots} images per reference set (what its Workers' memory holds while the set is embedded), got ${images.length}`,
      { field: "images", maxShots },
    );
  }
  const { features } = await runtime.textFeatures(object);
  const shots: ShotInfo[] = [];
  const { values, memory, stages } = await runtime.tower.embedShots(
    {
      count: images.length,
      async pixels(index) {
        const bytes = images[index]!;
        const sha256 = await sha256Hex(bytes);
        let input: ReturnType<typeof modelInput>;
        try {
          input = modelInput(bytes, m, maxPixels, imageKernel);
        } catch (e) {
          throw withShotIndex(e, index);
        }
        shots.push({ format: input.format, width: input.width, height: input.height, bytes: bytes.length, sha256 });
        return input;
      },
    },
    features,
  );
  const embedding: EmbeddingToStore = {
    ...currentEmbeddingKey(runtime),
    createdAt: new Date().toISOString(),
    calibration: calibrateFromLeaveOneOut(values),
    width: m.architecture.vision.width,
    memory,
  };
  return { embedding, shots, ...(stages ? { stages } : {}) };
}

/** The embedding with float32 banks, as a tower in this isolate makes them (a staged tower's are half bits). */
export function withFloatBanks(e: EmbeddingToStore): ReferenceEmbedding | undefined {
  for (const bank of e.memory.values()) if (!(bank instanceof Float32Array)) return undefined;
  return e as ReferenceEmbedding;
}

function withShotIndex(e: unknown, index: number): unknown {
  if (!(e instanceof ImageError)) return e;
  return new ImageError(e.code, `images[${index}]: ${e.message}`, { ...e.details, shot: index }, { cause: e });
}
