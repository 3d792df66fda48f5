// Text features [embedDim, 2] cached in KV (raw little-endian float32) under model hash, prompt set and object name.
import type { KVNamespace } from "@cloudflare/workers-types";
import { PROMPT_SET_VERSION } from "../engine/anomaly/prompts";
import type { TextFeatureCache } from "../usecases/text-feature-cache";

export function textFeatureKey(modelHash: string, objectName: string): string {
  return `tf/${modelHash}/${PROMPT_SET_VERSION}/${encodeURIComponent(objectName)}`;
}

/** `expectedLength` = 2 * embedDim: a stored value of another length is ignored (and recomputed). */
export function kvTextFeatureCache(kv: KVNamespace, expectedLength: number): TextFeatureCache {
  return {
    async get(modelHash, objectName) {
      const buffer = await kv.get(textFeatureKey(modelHash, objectName), "arrayBuffer");
      if (!buffer || buffer.byteLength !== expectedLength * 4) return undefined;
      return new Float32Array(buffer);
    },
    async put(modelHash, objectName, features) {
      const copy = features.slice();
      await kv.put(textFeatureKey(modelHash, objectName), copy.buffer);
    },
  };
}
