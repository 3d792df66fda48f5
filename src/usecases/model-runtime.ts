// The served model: its bundle, and text features of object names from memory, the bundle, a cache or the text tower.
import { gunzipSync } from "fflate";
import { PROMPT_SET_VERSION } from "../engine/anomaly/prompts";
import { type ImageTower, singleGraphTower } from "../engine/detector/image-tower";
import { objectTextFeatures, type TextEmbedder } from "../engine/detector/text-features";
import type { ModelBundle } from "../engine/runtime/model-bundle";
import { createClipTokenizer, type ClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import type { TextFeatureCache } from "./text-feature-cache";

export type TextFeatureSource = "memory" | "bundle" | "kv" | "computed";

/** Bytes of text features kept in the isolate per model, beyond which the oldest entries are dropped. */
const MEMORY_CACHE_BYTES = 1024 * 1024;

export class ModelRuntime {
  private tokenizer: Promise<ClipTokenizer> | undefined;
  private precomputed: Promise<Map<string, Float32Array>> | undefined;
  private readonly features = new Map<string, Promise<Float32Array>>();
  /** Entries of `features` that fit MEMORY_CACHE_BYTES: each is [embedDim, 2] float32. */
  private readonly maxFeatureEntries: number;

  /**
   * `tower`: where the image tower runs; by default the bundle's one image graph in this isolate, for a staged bundle
   * the stage Workers (src/engine/staging).
   */
  constructor(
    readonly bundle: ModelBundle,
    private readonly cache: TextFeatureCache,
    readonly tower: ImageTower = singleGraphTower(bundle),
    /** Where the text tower runs when it is not one graph in this isolate (text stage Workers). */
    private readonly encodeTexts?: TextEmbedder,
  ) {
    this.maxFeatureEntries = Math.max(1, Math.floor(MEMORY_CACHE_BYTES / (bundle.manifest.architecture.embedDim * 2 * 4)));
  }

  get modelHash(): string {
    return this.bundle.manifest.modelHash;
  }

  /**
   * Text features [embedDim, 2] of an object name: isolate memory, then the bundle's build-time features, then KV,
   * then the text tower (stored to KV).
   */
  async textFeatures(objectName: string): Promise<{ features: Float32Array; source: TextFeatureSource }> {
    const hit = this.features.get(objectName);
    if (hit) return { features: await hit, source: "memory" };
    let source: TextFeatureSource = "bundle";
    const pending = (async () => {
      const built = (await this.loadPrecomputed()).get(objectName);
      if (built) return built;
      source = "kv";
      const stored = await this.cache.get(this.modelHash, objectName);
      if (stored) return stored;
      source = "computed";
      const computed = await objectTextFeatures(this.bundle, await this.loadTokenizer(), objectName, this.encodeTexts);
      try {
        await this.cache.put(this.modelHash, objectName, computed);
      } catch (e) {
        // A failed write (e.g. KV's one-write-per-second-per-key limit) only costs a recomputation later.
        console.warn(`text features of "${objectName}" not stored in KV: ${(e as Error).message}`);
      }
      return computed;
    })();
    this.remember(objectName, pending);
    return { features: await pending, source };
  }

  private remember(objectName: string, pending: Promise<Float32Array>): void {
    while (this.features.size >= this.maxFeatureEntries) this.features.delete(this.features.keys().next().value!);
    this.features.set(objectName, pending);
    pending.catch(() => this.features.delete(objectName));
  }

  /** The bundle's build-time text features, if they were made with the prompt set this code uses. */
  private loadPrecomputed(): Promise<Map<string, Float32Array>> {
    if (!this.precomputed) {
      const pending = this.bundle.precomputedTextFeatures().then((p) => (p && p.promptSet === PROMPT_SET_VERSION ? p.features : new Map()));
      pending.catch(() => (this.precomputed = undefined));
      this.precomputed = pending;
    }
    return this.precomputed;
  }

  /** Built on the first text-feature miss only: requests whose features come from KV never load the vocabulary. */
  private loadTokenizer(): Promise<ClipTokenizer> {
    if (!this.tokenizer) {
      const pending = this.bundle.readFile("vocabulary").then((gz) => createClipTokenizer(new TextDecoder().decode(gunzipSync(gz))));
      pending.catch(() => (this.tokenizer = undefined));
      this.tokenizer = pending;
    }
    return this.tokenizer;
  }
}
