// A stage Worker's few-shot memory banks: only its own layers of a set's stored embedding (ranged reads), kept as the
// half bits they are stored in, cached bounded by bytes.
import type { BankSource } from "../engine/staging/run-stage";
import type { FewShotBankKey } from "../engine/staging/stage-port";
import { referenceSetNotFound } from "./reference-set-manifest";
import type { ReferenceSetStore } from "./reference-set-store";

/** Bytes of banks a stage keeps per isolate (the oldest entry goes first); an entry larger than this is not kept. */
export const STAGE_BANK_CACHE_BYTES = 16 * 1024 * 1024;

const keyOf = (k: FewShotBankKey, layers: readonly number[]) => `${k.tenant}/${k.referenceSet}/${k.modelHash}/${k.promptSet}/${layers.join(",")}`;

/**
 * The banks come from the embedding the front made sure is stored (read, or re-embedded and written, before it calls
 * the stages). Features are immutable per model and prompt set, so a cached entry never goes stale; a deleted set
 * never reaches a stage (the front checks the set's manifest first).
 */
export function stageBankSource(store: Pick<ReferenceSetStore, "getEmbeddingBanks">, maxBytes = STAGE_BANK_CACHE_BYTES): BankSource {
  const cache = new Map<string, { banks: Map<number, Uint16Array>; bytes: number }>();
  let total = 0;
  return async (key, layers) => {
    const id = keyOf(key, layers);
    const hit = cache.get(id);
    if (hit) {
      cache.delete(id);
      cache.set(id, hit);
      return hit.banks;
    }
    const banks = await store.getEmbeddingBanks(key.tenant, key.referenceSet, key, layers);
    if (!banks) throw referenceSetNotFound(key.referenceSet);
    let bytes = 0;
    for (const bank of banks.values()) bytes += bank.byteLength;
    if (bytes <= maxBytes) {
      cache.set(id, { banks, bytes });
      total += bytes;
      for (const [k, entry] of cache) {
        if (total <= maxBytes) break;
        cache.delete(k);
        total -= entry.bytes;
      }
    }
    return banks;
  };
}
