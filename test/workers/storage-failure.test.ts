// Reference-set creation when storage fails midway: 503 storage_error, and every object already written is removed.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { r2ReferenceSetStore } from "../../src/platform/r2-reference-sets";
import { DomainError } from "../../src/usecases/domain-error";
import { DEFAULT_LIMITS } from "../../src/usecases/limits";
import { modelRuntime } from "../../src/composition/model-runtime";
import type { ReferenceSetStore } from "../../src/usecases/reference-set-store";
import { createReferenceSet } from "../../src/usecases/reference-sets";
import { syntheticPng } from "./images";
import { seedBundle } from "./seed";

beforeAll(async () => {
  await seedBundle();
});

/** The R2 store, except that `failing` throws (after really writing, for the manifest: the worst case). */
function failingStore(failing: "putEmbedding" | "putManifest"): ReferenceSetStore {
  const store = r2ReferenceSetStore(env.REFERENCE_SETS);
  return {
    ...store,
    async [failing](...args: never[]) {
      await (store[failing] as (...a: never[]) => Promise<void>)(...args);
      throw new Error(`simulated R2 failure in ${failing}`);
    },
  };
}

describe("createReferenceSet with failing storage", () => {
  for (const failing of ["putEmbedding", "putManifest"] as const) {
    it(`cleans up after a failure in ${failing}`, async () => {
      const tenant = `failing-${failing.toLowerCase()}`;
      const ctx = { runtime: await modelRuntime(env.MODELS, env.TEXT_FEATURES, env.MODEL_NAME), store: failingStore(failing), limits: DEFAULT_LIMITS };
      const images = [syntheticPng(64, 64, 1), syntheticPng(64, 64, 2)];
      const error = await createReferenceSet(ctx, tenant, { object: "bottle", images }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: "unavailable", code: "storage_error" });
      const left = await env.REFERENCE_SETS.list({ prefix: "" });
      expect(left.objects.filter((o) => o.key.includes(`/${tenant}/`))).toEqual([]);
    });
  }
});
