// Deterministic random CLIP checkpoints and adapters (seeded, CLIP-like init) for tests, demos and benchmarks.
import type { ArchName, ClipArch } from "./clip-arch";
import { ARCH_PRESETS, isArchName } from "./clip-arch";
import type { Adapters, ClipCheckpoint, LayerNormWeights, ResidualBlock, Tensor } from "./clip-checkpoint";
import { OPENAI_MEAN, OPENAI_STD } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";
import { numel } from "./tensor-map";

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

// Normals are drawn as 16-bit quantiles from a table: two per 32-bit random word, fast enough for ViT-L.
let quantiles: Float32Array | undefined;
function quantileTable(): Float32Array {
  if (!quantiles) {
    quantiles = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) quantiles[i] = normalQuantile((i + 0.5) / 65536);
  }
  return quantiles;
}

/** FNV-1a of the name mixed with the seed: each tensor's stream depends only on (seed, name). */
function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

/** Normal(mean, std) (16-bit quantised) from an xorshift32 stream, filling the array directly. */
function normal(seed: number, name: string, shape: number[], std: number, mean = 0): Tensor {
  const table = quantileTable();
  const data = new Float32Array(numel(shape));
  let x = streamSeed(seed, name);
  for (let i = 0; i < data.length; i += 2) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = mean + std * table[x & 0xffff]!;
    if (i + 1 < data.length) data[i + 1] = mean + std * table[(x >>> 16) & 0xffff]!;
  }
  return { shape, data };
}

const BIAS_STD = 0.02;
const LN_WEIGHT_STD = 0.05;

function layerNorm(seed: number, name: string, width: number): LayerNormWeights {
  return { weight: normal(seed, `${name}.weight`, [width], LN_WEIGHT_STD, 1), bias: normal(seed, `${name}.bias`, [width], BIAS_STD) };
}

/** open_clip's init_parameters stds for a residual block. */
function block(seed: number, name: string, width: number, mlp: number, layers: number): ResidualBlock {
  const attnStd = width ** -0.5;
  const projStd = width ** -0.5 * (2 * layers) ** -0.5;
  const fcStd = (2 * width) ** -0.5;
  return {
    ln1: layerNorm(seed, `${name}.ln1`, width),
    inProjWeight: normal(seed, `${name}.inProjWeight`, [3 * width, width], attnStd),
    inProjBias: normal(seed, `${name}.inProjBias`, [3 * width], BIAS_STD),
    outProjWeight: normal(seed, `${name}.outProjWeight`, [width, width], projStd),
    outProjBias: normal(seed, `${name}.outProjBias`, [width], BIAS_STD),
    ln2: layerNorm(seed, `${name}.ln2`, width),
    fcWeight: normal(seed, `${name}.fcWeight`, [mlp, width], fcStd),
    fcBias: normal(seed, `${name}.fcBias`, [mlp], BIAS_STD),
    projWeight: normal(seed, `${name}.projWeight`, [width, mlp], projStd),
    projBias: normal(seed, `${name}.projBias`, [width], BIAS_STD),
  };
}

export function resolveArch(arch: ArchName | string | ClipArch): ClipArch {
  if (typeof arch !== "string") return arch;
  if (!isArchName(arch)) {
    throw new CheckpointError("unknown_arch", `unknown architecture "${arch}"; known: ${Object.keys(ARCH_PRESETS).join(", ")}`, arch);
  }
  return ARCH_PRESETS[arch];
}

/** A random checkpoint; the same (arch, seed) always gives the same weights. source.layout is "random". */
export function randomCheckpoint(archOrName: ArchName | string | ClipArch, seed = 0): ClipCheckpoint {
  const arch = resolveArch(archOrName);
  const v = arch.vision;
  const t = arch.text;
  const grid = Math.floor(v.imageSize / v.patchSize);
  const vScale = v.width ** -0.5;
  return {
    embedDim: arch.embedDim,
    activation: arch.activation,
    layerNormEps: arch.layerNormEps,
    vision: {
      ...v,
      convWeight: normal(seed, "vision.convWeight", [v.width, 3, v.patchSize, v.patchSize], (3 * v.patchSize * v.patchSize) ** -0.5),
      classEmbedding: normal(seed, "vision.classEmbedding", [v.width], vScale),
      positionalEmbedding: normal(seed, "vision.positionalEmbedding", [1 + grid * grid, v.width], vScale),
      lnPre: layerNorm(seed, "vision.lnPre", v.width),
      blocks: Array.from({ length: v.layers }, (_, i) => block(seed, `vision.blocks.${i}`, v.width, v.mlpWidth, v.layers)),
      lnPost: layerNorm(seed, "vision.lnPost", v.width),
      proj: normal(seed, "vision.proj", [v.width, arch.embedDim], vScale),
    },
    text: {
      ...t,
      tokenEmbedding: normal(seed, "text.tokenEmbedding", [t.vocabSize, t.width], 0.02),
      positionalEmbedding: normal(seed, "text.positionalEmbedding", [t.contextLength, t.width], 0.01),
      blocks: Array.from({ length: t.layers }, (_, i) => block(seed, `text.blocks.${i}`, t.width, t.mlpWidth, t.layers)),
      lnFinal: layerNorm(seed, "text.lnFinal", t.width),
      textProjection: normal(seed, "text.textProjection", [t.width, arch.embedDim], t.width ** -0.5),
    },
    mean: [...OPENAI_MEAN],
    std: [...OPENAI_STD],
    source: { layout: "random", files: [] },
  };
}

/** `count` random adapters Linear(width -> embedDim), torch-Linear-like scale. */
export function randomAdapters(options: { count: number; width: number; embedDim: number; seed?: number }): Adapters {
  const seed = options.seed ?? 0;
  const std = options.width ** -0.5;
  return {
    weights: Array.from({ length: options.count }, (_, i) => normal(seed, `adapter.fc.${i}.weight`, [options.embedDim, options.width], std)),
    biases: Array.from({ length: options.count }, (_, i) => normal(seed, `adapter.fc.${i}.bias`, [options.embedDim], BIAS_STD)),
  };
}
