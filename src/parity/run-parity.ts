// The parity run: compile an oracle case's checkpoint with our compiler and compare every golden array (Node only).
import { memoryBundleReader } from "../engine/runtime/memory-bundle-reader";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "fflate";
import { readAdapterFile, readCheckpointDir } from "../compiler/checkpoint/read-checkpoint-dir";
import { compileBundle, type QuantOption } from "../compiler/compile-bundle";
import { mapMax } from "../engine/anomaly/few-shot";
import { analyseFewShot, buildMemory, fewShotFromZeroShot, zeroShotFromEncoding, type FewShotMemory } from "../engine/detector/analyse";
import { objectTextFeatures } from "../engine/detector/text-features";
import { decodeImage } from "../engine/image/decode";
import { resizeMaskBilinear } from "../engine/image/mask";
import { preprocess } from "../engine/image/preprocess";
import { encodeImage } from "../engine/runtime/clip-encoders";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { createClipTokenizer } from "../engine/tokenizer/clip-tokenizer";
import { compareArrays, type Agreement } from "./compare-arrays";
import { GoldenCase } from "./golden-case";
import { ruleFor, type ArrayKind } from "./tolerances";

export interface ParityOptions {
  caseDir: string;
  layout: "open_clip" | "hf";
  quant: QuantOption;
  /** Gzipped BPE merges; default: shared/clip/bpe_simple_vocab_16e6.txt.gz two levels above the case. */
  vocab?: string;
  onProgress?: (message: string) => void;
}

export interface ArrayVerdict extends Agreement {
  ok: boolean;
  tolerance: string;
  note?: string;
}

export interface ParityReport {
  ok: boolean;
  quantization: string;
  arrays: Record<string, ArrayVerdict>;
}

const MAX_PIXELS = 64e6;

export async function runParity(o: ParityOptions): Promise<ParityReport> {
  const progress = o.onProgress ?? (() => {});
  const golden = new GoldenCase(o.caseDir);
  const p = golden.manifest.params;
  const quantized = o.quant !== "fp32";
  const arrays: Record<string, ArrayVerdict> = {};
  const record = (name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, kind: ArrayKind) => {
    const rule = ruleFor(kind, quantized);
    const a = compareArrays(actual, expected);
    arrays[name] = { ...a, ok: rule.ok(a), tolerance: rule.describe };
  };
  const scalar = (v: number) => Float32Array.of(v);

  const modelDir = o.layout === "hf" ? join(o.caseDir, "model", "hf") : join(o.caseDir, "model");
  progress(`compiling ${modelDir} (${o.layout}, ${o.quant})`);
  const ckpt = await readCheckpointDir(modelDir, { layout: o.layout });
  const adapters = await readAdapterFile(join(o.caseDir, "model", "adapter.safetensors"), {
    count: p.features.length,
    width: ckpt.vision.width,
    embedDim: ckpt.embedDim,
  });
  const vocabulary = new Uint8Array(await readFile(o.vocab ?? join(o.caseDir, "..", "..", "clip", "bpe_simple_vocab_16e6.txt.gz")));
  const compiled = await compileBundle(ckpt, {
    name: "parity",
    imageSize: p.image_size,
    layers: p.features,
    fewShotLayers: p.few_shot_features,
    quant: o.quant,
    adapters,
    vocabulary,
  });
  const bundle = await ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
  const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(vocabulary)));
  const loadPixels = async (relative: string) => {
    const decoded = decodeImage(new Uint8Array(await readFile(golden.imagePath(relative))), { maxPixels: MAX_PIXELS, applyExifOrientation: false });
    return preprocess(decoded, p.image_size, p.mean, p.std);
  };

  record("tokens/sample", tokenizer.tokenize(p.token_sample), golden.array("tokens/sample"), "token_ids");

  const textFeatures = new Map<string, Float32Array>();
  const memories = new Map<string, FewShotMemory>();
  for (const cls of p.classes) {
    progress(`text features and memory bank of ${cls}`);
    const t = await objectTextFeatures(bundle, tokenizer, cls);
    textFeatures.set(cls, t);
    if (golden.has(`text_features/${cls}`)) record(`text_features/${cls}`, t, golden.floats(`text_features/${cls}`), "tensor");
    const shots = [];
    for (const ref of p.refs.filter((r) => r.class === cls)) shots.push(await encodeImage(bundle, await loadPixels(ref.image)));
    if (shots.length === 0) continue;
    const memory = buildMemory(bundle, shots);
    memories.set(cls, memory);
    for (const [layer, bank] of memory) {
      const name = `memory/${cls}/layer${layer}`;
      if (golden.has(name)) record(name, bank, golden.floats(name), "tensor");
    }
  }

  for (const [n, c] of golden.manifest.cases.entries()) {
    progress(`case ${n}: ${c.image}`);
    const t = textFeatures.get(c.class);
    if (!t) throw new Error(`case ${n} is of class ${c.class}, which params.classes does not list`);
    const pre = `case${n}`;
    const filePixels = await loadPixels(c.image);
    record(`${pre}/pixels`, filePixels, golden.floats(`${pre}/pixels`), "pixels");
    if (c.mask && golden.has(`${pre}/mask`)) {
      const mask = decodeImage(new Uint8Array(await readFile(golden.imagePath(c.mask))), { maxPixels: MAX_PIXELS });
      record(`${pre}/mask`, resizeMaskBilinear(mask, p.image_size), golden.floats(`${pre}/mask`), "mask");
    }

    // From the golden pixels: the encoders and the scoring, isolated from image decoding.
    const encoding = await encodeImage(bundle, golden.floats(`${pre}/pixels`));
    const recordIfGolden = (name: string, actual: Float32Array) => {
      if (golden.has(name)) record(name, actual, golden.floats(name), "tensor");
    };
    for (const [layer, tokens] of encoding.tokens) recordIfGolden(`${pre}/tokens/layer${layer}`, tokens);
    for (const [layer, proj] of encoding.projected) recordIfGolden(`${pre}/projected/layer${layer}`, proj);
    recordIfGolden(`${pre}/image_features`, encoding.imageFeatures);
    const zs = zeroShotFromEncoding(bundle, encoding, t);
    record(`${pre}/zero_shot_score`, scalar(zs.zeroShotScore), scalar(c.zero_shot_score), "score");
    record(`${pre}/zero_shot_map`, zs.zeroShotMap, golden.floats(`${pre}/zero_shot_map`), "map");
    const goldenMemory: FewShotMemory = new Map(p.few_shot_features.map((l) => [l, golden.floats(`memory/${c.class}/layer${l}`)]));
    const fs = await fewShotFromZeroShot(bundle, zs, goldenMemory);
    record(`${pre}/few_shot_map`, fs.fewShotMap, golden.floats(`${pre}/few_shot_map`), "map");
    record(`${pre}/combined_map`, fs.combinedMap, golden.floats(`${pre}/combined_map`), "map");
    record(`${pre}/few_shot_max`, scalar(mapMax(fs.fewShotMap)), scalar(c.few_shot_max), "map_max");
    record(`${pre}/combined_max`, scalar(fs.combinedMax), scalar(c.combined_max), "map_max");

    // End to end: image file -> our decoding -> our encoders -> our memory bank from the reference files.
    const memory = memories.get(c.class);
    if (!memory) throw new Error(`no reference shots of class ${c.class} in params.refs`);
    const e2e = await analyseFewShot(bundle, filePixels, t, memory);
    record(`e2e/${pre}/zero_shot_score`, scalar(e2e.zeroShotScore), scalar(c.zero_shot_score), "e2e_score");
    record(`e2e/${pre}/zero_shot_map`, e2e.zeroShotMap, golden.floats(`${pre}/zero_shot_map`), "e2e_map");
    record(`e2e/${pre}/few_shot_map`, e2e.fewShotMap, golden.floats(`${pre}/few_shot_map`), "e2e_map");
    record(`e2e/${pre}/combined_map`, e2e.combinedMap, golden.floats(`${pre}/combined_map`), "e2e_map");
    record(`e2e/${pre}/combined_max`, scalar(e2e.combinedMax), scalar(c.combined_max), "e2e_map_max");
  }

  for (const name of Object.keys(golden.manifest.arrays)) {
    if (!(name in arrays)) {
      arrays[name] = { maxAbs: NaN, rel: NaN, pearson: NaN, ok: false, tolerance: "-", note: "no computation produces this golden array" };
    }
  }
  return { ok: Object.values(arrays).every((a) => a.ok), quantization: compiled.manifest.quantization, arrays };
}
