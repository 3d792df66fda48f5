// The parity run: compile an oracle case's checkpoint with our compiler and compare every golden array (Node only).
import { nodeImageKernel } from "../bench/image-kernel-node";
import { memoryBundleReader } from "../engine/runtime/memory-bundle-reader";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "fflate";
import { readAdapterFile, readCheckpointDir } from "../compiler/checkpoint/read-checkpoint-dir";
import { compileStagedBundle, type QuantOption } from "../compiler/compile-bundle";
import { mapMax } from "../engine/anomaly/few-shot";
import { buildMemory, type FewShotMemory } from "../engine/detector/analyse";
import { type ImageTower, singleGraphTower } from "../engine/detector/image-tower";
import { objectTextFeatures, type TextEmbedder } from "../engine/detector/text-features";
import { inProcessTextStageRunner } from "../engine/staging/in-process-text-runner";
import { encodeTextsInStages } from "../engine/staging/staged-text";
import { decodeImage } from "../engine/image/decode";
import { resizeMaskBilinear } from "../engine/image/mask";
import { preprocess } from "../engine/image/preprocess";
import { ModelBundle } from "../engine/runtime/model-bundle";
import type { GemmKind } from "../engine/wasm/int8-gemm";
import { loadWasmImageTower, loadWasmStageGraph } from "../bench/int8-gemm-node";
import { decodeF16, encodeF16Clamped } from "../shared/float16";
import { inProcessStageRunner } from "../engine/staging/in-process-runner";
import type { BankSource } from "../engine/staging/run-stage";
import type { FewShotBankKey } from "../engine/staging/stage-port";
import { stagedTower } from "../engine/staging/staged-tower";
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
  /**
   * Compile the image tower in this many stages and run them chained in this process, zero-shot logits and few-shot
   * distances reduced inside the stages as stage Workers do (README "Stages"); 1 or absent: the single graph.
   */
  stages?: number;
  /** With `stages` > 1: compile the text tower in this many stages too and stream the prompts through them in process. */
  textStages?: number;
  /** Keep every computed array in the report (`actual`), e.g. to compare a staged run with the single graph. */
  keepActual?: boolean;
  /** The image encoder: onnxruntime-web on the bundle's image graph (default) or the engine's wasm kernels. */
  engine?: "ort" | "wasm";
  /** The engine's int8 kernel: relaxed SIMD where the runtime validates it (default), or SIMD128. */
  kernel?: GemmKind;
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
  /** Image-tower stages run (1: the single graph). */
  stages: number;
  /** Text-tower stages run (absent: the whole text graph). */
  textStages?: number;
  /** With `keepActual`: what was computed for each array name. */
  actual?: Record<string, ArrayLike<number>>;
}

const MAX_PIXELS = 64e6;

export async function runParity(o: ParityOptions): Promise<ParityReport> {
  const progress = o.onProgress ?? (() => {});
  const golden = new GoldenCase(o.caseDir);
  const p = golden.manifest.params;
  const quantized = o.quant !== "fp32";
  const arrays: Record<string, ArrayVerdict> = {};
  const kept: Record<string, ArrayLike<number>> | undefined = o.keepActual ? {} : undefined;
  const record = (name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, kind: ArrayKind) => {
    const rule = ruleFor(kind, quantized);
    const a = compareArrays(actual, expected);
    arrays[name] = { ...a, ok: rule.ok(a), tolerance: rule.describe };
    if (kept) kept[name] = actual;
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
  const stages = o.stages ?? 1;
  const compiled = await compileStagedBundle(ckpt, {
    name: "parity",
    imageSize: p.image_size,
    layers: p.features,
    fewShotLayers: p.few_shot_features,
    quant: o.quant,
    adapters,
    vocabulary,
    ...(stages > 1 ? { stages } : {}),
    ...(o.textStages !== undefined ? { textStages: o.textStages } : {}),
  });
  if (o.textStages !== undefined && !("textStages" in compiled.manifest && compiled.manifest.textStages)) {
    throw new Error(`--text-stages ${o.textStages} needs the image tower in stages (--stages 2 or more) and a text tower of at least 2 blocks`);
  }
  const bundle = await ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
  // Memory banks by name, as a stage Worker reads them from storage: golden/<class> and e2e/<class>.
  const banksByName = new Map<string, FewShotMemory>();
  const bankKey = (name: string): FewShotBankKey => ({ tenant: "parity", referenceSet: name, modelHash: compiled.manifest.modelHash, promptSet: "parity" });
  let tower: ImageTower = singleGraphTower(bundle);
  let encodeText: TextEmbedder | undefined;
  if (bundle.textStages) {
    progress(`text tower in ${bundle.textStages.length} stages, the prompts streamed through them in this process`);
    const textBundle = await ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
    const { contextLength } = bundle.manifest.architecture.text;
    encodeText = (ids) => encodeTextsInStages(inProcessTextStageRunner(textBundle), ids, contextLength, bundle.manifest.architecture.embedDim);
  }
  if (stages > 1) {
    const kernel = o.kernel ?? "relaxed";
    progress(`image tower in ${stages} stages, chained in this process${o.engine === "wasm" ? `, each on the wasm engine (${kernel} kernels asked)` : ""}`);
    // The stages get a bundle of their own, as each stage Worker opens its own.
    const stageBundle = await ModelBundle.open(memoryBundleReader(compiled.files, compiled.manifest));
    const banks: BankSource = async (key, layers) => {
      const memory = banksByName.get(key.referenceSet);
      if (!memory) throw new Error(`no memory bank ${key.referenceSet}`);
      return new Map(layers.map((l) => [l, memory.get(l)!]));
    };
    const runner = inProcessStageRunner(stageBundle, banks, o.engine === "wasm" ? (i) => loadWasmStageGraph(stageBundle, i, kernel) : undefined);
    tower = stagedTower(bundle, runner);
  } else if (o.engine === "wasm") {
    const wasm = await loadWasmImageTower(bundle, o.kernel ?? "relaxed");
    progress(`image encoder: wasm engine, ${wasm.kind} kernels, ${(wasm.memoryBytes / 2 ** 20).toFixed(1)} MB kernel memory`);
    tower = wasm.tower;
  }
  const fewShotInput = (name: string, memory: FewShotMemory) => {
    banksByName.set(name, memory);
    return { memory, bank: bankKey(name) };
  };
  const tokenizer = createClipTokenizer(new TextDecoder().decode(gunzipSync(vocabulary)));
  const loadPixels = async (relative: string) => {
    const decoded = decodeImage(new Uint8Array(await readFile(golden.imagePath(relative))), {
      maxPixels: MAX_PIXELS,
      applyExifOrientation: false,
      kernel: nodeImageKernel(),
    });
    return preprocess(decoded, p.image_size, p.mean, p.std, { kernel: nodeImageKernel() }); // the resize as served
  };

  record("tokens/sample", tokenizer.tokenize(p.token_sample), golden.array("tokens/sample"), "token_ids");

  const textFeatures = new Map<string, Float32Array>();
  const memories = new Map<string, FewShotMemory>();
  for (const cls of p.classes) {
    progress(`text features and memory bank of ${cls}`);
    const t = await objectTextFeatures(bundle, tokenizer, cls, encodeText);
    textFeatures.set(cls, t);
    if (golden.has(`text_features/${cls}`)) record(`text_features/${cls}`, t, golden.floats(`text_features/${cls}`), "tensor");
    const shots = [];
    const refs = p.refs.filter((r) => r.class === cls);
    for (const ref of refs) shots.push(await tower.encode(await loadPixels(ref.image)));
    if (shots.length === 0) continue;
    if (kept) {
      // A reference set as the service makes it (staged: one call per stage for all shots): no golden arrays, kept
      // for comparing the staged pipeline with the single graph (its leave-one-out values and stored banks).
      const set = await tower.embedShots({ count: refs.length, pixels: async (j) => ({ pixels: await loadPixels(refs[j]!.image), release: () => {} }) }, t);
      kept[`set/${cls}/loo_combined_max`] = Float32Array.from(set.values, (v) => v.combinedMax);
      kept[`set/${cls}/loo_zero_shot_score`] = Float32Array.from(set.values, (v) => v.zeroShotScore);
      for (const [l, bank] of set.memory) kept[`set/${cls}/stored_bank/layer${l}`] = decodeF16(bank instanceof Uint16Array ? bank : encodeF16Clamped(bank));
    }
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
    const goldenPixels = golden.floats(`${pre}/pixels`);
    const encoding = await tower.encode(goldenPixels);
    const recordIfGolden = (name: string, actual: Float32Array) => {
      if (golden.has(name)) record(name, actual, golden.floats(name), "tensor");
    };
    for (const [layer, tokens] of encoding.tokens) recordIfGolden(`${pre}/tokens/layer${layer}`, tokens);
    for (const [layer, proj] of encoding.projected) recordIfGolden(`${pre}/projected/layer${layer}`, proj);
    recordIfGolden(`${pre}/image_features`, encoding.imageFeatures);
    const goldenMemory: FewShotMemory = new Map(p.few_shot_features.map((l) => [l, golden.floats(`memory/${c.class}/layer${l}`)]));
    const fs = await tower.analyse(goldenPixels, t, fewShotInput(`golden/${c.class}`, goldenMemory));
    record(`${pre}/zero_shot_score`, scalar(fs.zeroShotScore), scalar(c.zero_shot_score), "score");
    record(`${pre}/zero_shot_map`, fs.zeroShotMap, golden.floats(`${pre}/zero_shot_map`), "map");
    record(`${pre}/few_shot_map`, fs.fewShot!.fewShotMap, golden.floats(`${pre}/few_shot_map`), "map");
    record(`${pre}/combined_map`, fs.fewShot!.combinedMap, golden.floats(`${pre}/combined_map`), "map");
    record(`${pre}/few_shot_max`, scalar(mapMax(fs.fewShot!.fewShotMap)), scalar(c.few_shot_max), "map_max");
    record(`${pre}/combined_max`, scalar(fs.fewShot!.combinedMax), scalar(c.combined_max), "map_max");

    // End to end: image file -> our decoding -> our encoders -> our memory bank from the reference files.
    const memory = memories.get(c.class);
    if (!memory) throw new Error(`no reference shots of class ${c.class} in params.refs`);
    const e2e = await tower.analyse(filePixels, t, fewShotInput(`e2e/${c.class}`, memory));
    record(`e2e/${pre}/zero_shot_score`, scalar(e2e.zeroShotScore), scalar(c.zero_shot_score), "e2e_score");
    record(`e2e/${pre}/zero_shot_map`, e2e.zeroShotMap, golden.floats(`${pre}/zero_shot_map`), "e2e_map");
    record(`e2e/${pre}/few_shot_map`, e2e.fewShot!.fewShotMap, golden.floats(`${pre}/few_shot_map`), "e2e_map");
    record(`e2e/${pre}/combined_map`, e2e.fewShot!.combinedMap, golden.floats(`${pre}/combined_map`), "e2e_map");
    record(`e2e/${pre}/combined_max`, scalar(e2e.fewShot!.combinedMax), scalar(c.combined_max), "e2e_map_max");
  }

  for (const name of Object.keys(golden.manifest.arrays)) {
    if (!(name in arrays)) {
      arrays[name] = { maxAbs: NaN, rel: NaN, pearson: NaN, ok: false, tolerance: "-", note: "no computation produces this golden array" };
    }
  }
  return {
    ok: Object.values(arrays).every((a) => a.ok),
    quantization: compiled.manifest.quantization,
    arrays,
    stages,
    ...(bundle.textStages ? { textStages: bundle.textStages.length } : {}),
    ...(kept ? { actual: kept } : {}),
  };
}
