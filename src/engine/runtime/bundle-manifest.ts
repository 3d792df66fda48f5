// The model bundle's manifest.json: what the compiler writes and what the runtime validates before it loads anything.
import { z } from "zod";
import { textGraphNames } from "./graph-names";

export const BUNDLE_FORMAT = "edge-anomaly-bundle";
export const BUNDLE_VERSION = 1;

const fileEntry = z.object({
  path: z.string().regex(/^[a-z0-9._-]+$/i, "bundle file names are plain names"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type BundleFile = z.infer<typeof fileEntry>;

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const bundleManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  name: z.string().min(1),
  /** True when the weights are generated at random: scores from such a model mean nothing. */
  random: z.boolean(),
  /** sha256 over the sorted file hashes: the identity of the served model (cache keys, stored features). */
  modelHash: z.string().regex(/^[0-9a-f]{64}$/),
  source: z.object({ layout: z.string(), files: z.array(z.string()), adapter: z.string() }),
  architecture: z.object({
    embedDim: z.number().int().positive(),
    activation: z.enum(["gelu", "quick_gelu"]),
    layerNormEps: z.number().positive(),
    vision: z.object({
      width: z.number().int().positive(),
      layers: z.number().int().positive(),
      heads: z.number().int().positive(),
      patchSize: z.number().int().positive(),
      checkpointImageSize: z.number().int().positive(),
    }),
    text: z.object({
      width: z.number().int().positive(),
      layers: z.number().int().positive(),
      heads: z.number().int().positive(),
      vocabSize: z.number().int().positive(),
      contextLength: z.number().int().positive(),
    }),
  }),
  imageSize: z.number().int().positive(),
  grid: z.number().int().positive(),
  layers: z.object({
    zeroShot: z.array(z.number().int().positive()).min(1),
    fewShot: z.array(z.number().int().positive()).min(1),
  }),
  /** "adapter" = APRIL-GAN linear adapters; "clip-projection" = ln_post + proj reused on patch tokens. */
  projection: z.enum(["adapter", "clip-projection"]),
  mean: triple,
  std: triple,
  quantization: z.enum(["fp32", "int8-dynamic", "int8-weight", "int8-block", "int4-block"]),
  /** image/text are ONNX graphs whose large weights live in imageWeights/textWeights (ONNX external data). */
  files: z.object({
    image: fileEntry,
    imageWeights: fileEntry,
    text: fileEntry,
    textWeights: fileEntry,
    fewShotHead: fileEntry,
    vocabulary: fileEntry,
  }),
  /**
   * Text features computed at build time for known object names: [objects.length, embedDim, 2] float32, in the
   * order of `objects`, valid for the prompt set `promptSet`. Derived data, so not part of modelHash.
   */
  precomputedTextFeatures: z.object({ file: fileEntry, promptSet: z.string().min(1), objects: z.array(z.string().min(1)) }).optional(),
  createdBy: z.string(),
});

export type BundleManifest = z.infer<typeof bundleManifestSchema>;

const stageEntry = z.object({
  index: z.number().int().nonnegative(),
  graph: fileEntry,
  weights: fileEntry,
  /** Image-tower blocks [from, to), 0-indexed: stage 0 also embeds the patches, the last also pools and projects. */
  blocks: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  /** The compiler's cost model (README, "Stages"): this stage's isolate peak while it loads and runs. */
  predictedPeakMb: z.number().positive(),
});
export type BundleStage = z.infer<typeof stageEntry>;

/**
 * The token embedding table of a text tower in stages, read by text stage 0 in row ranges (token-embedding-format.ts):
 * `rows` x `width`, in the bundle's stored dtype.
 */
const textEmbeddingEntry = z.object({
  file: fileEntry,
  encoding: z.enum(["float32", "int8-row-scale"]),
  rows: z.number().int().positive(),
  width: z.number().int().positive(),
});
export type TextEmbeddingEntry = z.infer<typeof textEmbeddingEntry>;

/**
 * A bundle whose image tower is split into stages, one graph + weights each; it has no whole image graph. When the
 * text tower is split too (`textStages`, blocks of the text tower), it has no whole text graph either.
 */
export const stagedBundleManifestSchema = bundleManifestSchema
  .extend({
    files: bundleManifestSchema.shape.files.omit({ image: true, imageWeights: true }).partial({ text: true, textWeights: true }),
    stages: z.array(stageEntry).min(2),
    textStages: z.array(stageEntry).min(2).optional(),
    textEmbedding: textEmbeddingEntry.optional(),
  })
  .refine((m) => (m.textStages === undefined) === (m.files.text !== undefined && m.files.textWeights !== undefined), {
    message: "a staged bundle has either the whole text graph (files.text, files.textWeights) or textStages",
  })
  .refine((m) => (m.textEmbedding !== undefined) === (m.textStages?.[0]?.inputs.includes(textGraphNames.tokenEmbeddings) ?? false), {
    message: "textEmbedding is there exactly when text stage 0 reads gathered token embeddings (its input token_embeddings)",
  })
  .refine((m) => !m.textEmbedding || (m.textEmbedding.rows === m.architecture.text.vocabSize && m.textEmbedding.width === m.architecture.text.width), {
    message: "textEmbedding is the text tower's vocabSize x width table",
  });
export type StagedBundleManifest = z.infer<typeof stagedBundleManifestSchema>;
/** What the runtime serves: a single-graph bundle, or a staged one whose image tower runs in stage Workers. */
export type ServedManifest = BundleManifest | StagedBundleManifest;
export type BundleFileRole = keyof BundleManifest["files"];
export type GraphRole = "image" | "text" | "fewShotHead";

/** The external weight file of each graph that has one. */
export const GRAPH_WEIGHTS: Partial<Record<GraphRole, BundleFileRole>> = { image: "imageWeights", text: "textWeights" };

/** Every file of a bundle besides manifest.json: the graphs, weights, vocabulary and any build-time features. */
export function bundleFiles(manifest: {
  files: Record<string, BundleFile>;
  precomputedTextFeatures?: { file: BundleFile };
  stages?: readonly { graph: BundleFile; weights: BundleFile }[];
  textStages?: readonly { graph: BundleFile; weights: BundleFile }[];
  textEmbedding?: { file: BundleFile };
}): BundleFile[] {
  return [
    ...Object.values(manifest.files),
    ...[...(manifest.stages ?? []), ...(manifest.textStages ?? [])].flatMap((s) => [s.graph, s.weights]),
    ...(manifest.textEmbedding ? [manifest.textEmbedding.file] : []),
    ...(manifest.precomputedTextFeatures ? [manifest.precomputedTextFeatures.file] : []),
  ];
}

/** True for a manifest that lists image-tower stages (checked before the single-graph schema). */
export function isStagedManifest(json: unknown): boolean {
  return typeof json === "object" && json !== null && "stages" in json;
}

export function parseBundleManifest(json: unknown): BundleManifest {
  return bundleManifestSchema.parse(json);
}

/** Either kind of manifest, told apart by `stages`. */
export function parseServedManifest(json: unknown): ServedManifest {
  return isStagedManifest(json) ? stagedBundleManifestSchema.parse(json) : bundleManifestSchema.parse(json);
}

export function isStaged(m: ServedManifest): m is StagedBundleManifest {
  return "stages" in m;
}

/** "00".."ff": a hash's hex without an array and two strings per byte (it runs on every API key check). */
const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let hex = "";
  for (const b of digest) hex += HEX_BYTE[b];
  return hex;
}

/** Identity of a bundle: hash of its files' hashes in role order, so renaming a bundle keeps its identity. */
export async function modelHashOf(files: Record<string, BundleFile>): Promise<string> {
  const roles = Object.keys(files).sort();
  return sha256Hex(new TextEncoder().encode(roles.map((r) => `${r}:${files[r]!.sha256}`).join("\n")));
}
