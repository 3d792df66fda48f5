// Adds build-time text features for known object names to a compiled bundle, so serving them needs no text tower.
import { gunzipSync } from "fflate";
import { PROMPT_SET_VERSION } from "../engine/anomaly/prompts";
import { objectTextFeatures } from "../engine/detector/text-features";
import { sha256Hex } from "../engine/runtime/bundle-manifest";
import { memoryBundleReader } from "../engine/runtime/memory-bundle-reader";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { createClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import { encodeTextsInStages } from "../engine/staging/staged-text";
import { inProcessTextStageRunner } from "../engine/staging/in-process-text-runner";
import type { CompiledBundle, CompiledStagedBundle } from "./compile-bundle";

export const TEXT_FEATURES_FILE = "text-features.bin";

/** Runs the bundle's own text tower (onnxruntime-web) over every prompt of every name; returns the extended bundle. */
export async function withPrecomputedTextFeatures(
  compiled: CompiledBundle | CompiledStagedBundle,
  objects: readonly string[],
  onProgress: (message: string) => void = () => {},
): Promise<CompiledBundle | CompiledStagedBundle> {
  const names = [...new Set(objects)];
  if (names.length === 0) return compiled;
  const bundle = await ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
  const context = compiled.manifest.architecture.text.contextLength;
  // a text tower in stages runs them one after another here, as the text stage Workers do
  const encode = bundle.textStages
    ? (ids: Int32Array) => encodeTextsInStages(inProcessTextStageRunner(bundle), ids, context, bundle.manifest.architecture.embedDim)
    : undefined;
  const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(compiled.files[compiled.manifest.files.vocabulary.path]!)));
  const size = 2 * compiled.manifest.architecture.embedDim;
  const all = new Float32Array(names.length * size);
  const started = performance.now();
  for (const [i, name] of names.entries()) {
    all.set(await objectTextFeatures(bundle, tokenizer, name, encode), i * size);
    const elapsed = (performance.now() - started) / 1000;
    onProgress(`text features ${i + 1}/${names.length} (${name}), ${elapsed.toFixed(1)} s`);
  }
  await bundle.releaseSession("text");
  const bytes = new Uint8Array(all.buffer);
  return {
    files: { ...compiled.files, [TEXT_FEATURES_FILE]: bytes },
    manifest: {
      ...compiled.manifest,
      precomputedTextFeatures: {
        file: { path: TEXT_FEATURES_FILE, sha256: await sha256Hex(bytes), bytes: bytes.length },
        promptSet: PROMPT_SET_VERSION,
        objects: names,
      },
    },
  } as CompiledBundle | CompiledStagedBundle;
}
