// Build-time text features: equal to computing them at serving time, verified like any bundle file, outside modelHash,
// and served by the model runtime before KV or the text tower.
import { describe, expect, it } from "vitest";
import { buildDemoModel } from "../../../src/compiler/demo-model";
import { withPrecomputedTextFeatures } from "../../../src/compiler/precompute-text-features";
import { PROMPT_SET_VERSION } from "../../../src/engine/anomaly/prompts";
import { objectTextFeatures } from "../../../src/engine/detector/text-features";
import { bundleFiles } from "../../../src/engine/runtime/bundle-manifest";
import { memoryBundleReader } from "../../../src/engine/runtime/memory-bundle-reader";
import { ModelBundle } from "../../../src/engine/runtime/model-bundle";
import { buildDemoMerges } from "../../../src/engine/tokenizer/demo-vocab";
import { createClipTokenizer } from "../../../src/engine/tokenizer/clip-tokenizer";
import { ModelRuntime } from "../../../src/usecases/model-runtime";
import type { TextFeatureCache } from "../../../src/usecases/text-feature-cache";

const plain = await buildDemoModel({ seed: 5 });
const withFeatures = await withPrecomputedTextFeatures(plain, ["bottle", "metal_nut", "bottle"]);
const open = (b = withFeatures) => ModelBundle.open(memoryBundleReader(b.files, b.manifest));

/** An in-memory text-feature cache standing in for KV (the port's other implementation). */
function memoryCache(): TextFeatureCache & { puts: string[] } {
  const store = new Map<string, Float32Array>();
  const puts: string[] = [];
  return {
    puts,
    async get(modelHash, object) {
      return store.get(`${modelHash}/${object}`);
    },
    async put(modelHash, object, features) {
      puts.push(object);
      store.set(`${modelHash}/${object}`, features);
    },
  } as TextFeatureCache & { puts: string[] };
}

describe("precomputed text features", () => {
  it("stores each distinct name once, for the current prompt set, outside the model hash", () => {
    const p = withFeatures.manifest.precomputedTextFeatures!;
    expect(p.objects).toEqual(["bottle", "metal_nut"]);
    expect(p.promptSet).toBe(PROMPT_SET_VERSION);
    expect(withFeatures.manifest.modelHash).toBe(plain.manifest.modelHash);
    expect(bundleFiles(withFeatures.manifest).map((f) => f.path)).toContain(p.file.path);
  });

  it("equal what the text tower computes at serving time", async () => {
    const bundle = await open();
    const built = (await bundle.precomputedTextFeatures())!.features;
    const tokenizer = createClipTokenizer(buildDemoMerges());
    for (const name of ["bottle", "metal_nut"]) {
      expect(Array.from(built.get(name)!)).toEqual(Array.from(await objectTextFeatures(bundle, tokenizer, name)));
    }
  });

  it("are checked against the manifest's sha256 like every bundle file", async () => {
    const path = withFeatures.manifest.precomputedTextFeatures!.file.path;
    const tampered = withFeatures.files[path]!.slice();
    tampered[0] = tampered[0]! ^ 1;
    const bundle = await open({ ...withFeatures, files: { ...withFeatures.files, [path]: tampered } });
    await expect(bundle.precomputedTextFeatures()).rejects.toMatchObject({ code: "bundle_hash_mismatch" });
  });

  it("are served by the model runtime before the cache and the text tower; other names still go through both", async () => {
    const cache = memoryCache();
    const runtime = new ModelRuntime(await open(), cache);
    expect((await runtime.textFeatures("bottle")).source).toBe("bundle");
    expect((await runtime.textFeatures("bottle")).source).toBe("memory");
    expect((await runtime.textFeatures("pcb")).source).toBe("computed");
    expect(cache.puts).toEqual(["pcb"]);
  });

  it("a bundle without them behaves as before", async () => {
    expect(await (await open(plain)).precomputedTextFeatures()).toBeUndefined();
    const runtime = new ModelRuntime(await open(plain), memoryCache());
    expect((await runtime.textFeatures("bottle")).source).toBe("computed");
  });
});
