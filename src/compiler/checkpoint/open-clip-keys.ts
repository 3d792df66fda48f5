// The single table of open_clip tensor keys <-> ClipCheckpoint fields and shapes, used for reading and writing.
import type { ClipArch } from "./clip-arch";
import { gridSize } from "./clip-arch";
import type { ClipCheckpoint, Tensor } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";
import { fmtShape, sameShape } from "./tensor-map";

export interface KeySpec {
  /** open_clip state-dict key. */
  key: string;
  /** Dotted path of the Tensor inside a ClipCheckpoint, e.g. "vision.blocks.3.ln1.weight". */
  path: string;
  shape: number[];
}

/** Keys found in real open_clip / OpenAI checkpoints that carry nothing the encoders need. */
export const OPEN_CLIP_IGNORED = new Set(["logit_scale", "logit_bias", "input_resolution", "context_length", "vocab_size", "attn_mask"]);

function blockSpecs(keyPrefix: string, pathPrefix: string, w: number, mlp: number): KeySpec[] {
  const rows: Array<[string, string, number[]]> = [
    ["ln_1.weight", "ln1.weight", [w]],
    ["ln_1.bias", "ln1.bias", [w]],
    ["attn.in_proj_weight", "inProjWeight", [3 * w, w]],
    ["attn.in_proj_bias", "inProjBias", [3 * w]],
    ["attn.out_proj.weight", "outProjWeight", [w, w]],
    ["attn.out_proj.bias", "outProjBias", [w]],
    ["ln_2.weight", "ln2.weight", [w]],
    ["ln_2.bias", "ln2.bias", [w]],
    ["mlp.c_fc.weight", "fcWeight", [mlp, w]],
    ["mlp.c_fc.bias", "fcBias", [mlp]],
    ["mlp.c_proj.weight", "projWeight", [w, mlp]],
    ["mlp.c_proj.bias", "projBias", [w]],
  ];
  return rows.map(([k, p, shape]) => ({ key: keyPrefix + k, path: pathPrefix + p, shape }));
}

export function openClipKeySpecs(arch: ClipArch): KeySpec[] {
  const v = arch.vision;
  const t = arch.text;
  const e = arch.embedDim;
  const grid = gridSize(v);
  const specs: KeySpec[] = [
    { key: "visual.conv1.weight", path: "vision.convWeight", shape: [v.width, 3, v.patchSize, v.patchSize] },
    { key: "visual.class_embedding", path: "vision.classEmbedding", shape: [v.width] },
    { key: "visual.positional_embedding", path: "vision.positionalEmbedding", shape: [1 + grid * grid, v.width] },
    { key: "visual.ln_pre.weight", path: "vision.lnPre.weight", shape: [v.width] },
    { key: "visual.ln_pre.bias", path: "vision.lnPre.bias", shape: [v.width] },
  ];
  for (let i = 0; i < v.layers; i++) {
    specs.push(...blockSpecs(`visual.transformer.resblocks.${i}.`, `vision.blocks.${i}.`, v.width, v.mlpWidth));
  }
  specs.push(
    { key: "visual.ln_post.weight", path: "vision.lnPost.weight", shape: [v.width] },
    { key: "visual.ln_post.bias", path: "vision.lnPost.bias", shape: [v.width] },
    { key: "visual.proj", path: "vision.proj", shape: [v.width, e] },
    { key: "token_embedding.weight", path: "text.tokenEmbedding", shape: [t.vocabSize, t.width] },
    { key: "positional_embedding", path: "text.positionalEmbedding", shape: [t.contextLength, t.width] },
  );
  for (let i = 0; i < t.layers; i++) {
    specs.push(...blockSpecs(`transformer.resblocks.${i}.`, `text.blocks.${i}.`, t.width, t.mlpWidth));
  }
  specs.push(
    { key: "ln_final.weight", path: "text.lnFinal.weight", shape: [t.width] },
    { key: "ln_final.bias", path: "text.lnFinal.bias", shape: [t.width] },
    { key: "text_projection", path: "text.textProjection", shape: [t.width, e] },
  );
  return specs;
}

type Node = Record<string, unknown> | unknown[];

function setPath(root: Record<string, unknown>, path: string, value: Tensor): void {
  const parts = path.split(".");
  let node: Node = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
    const bag = node as Record<string, unknown>;
    bag[part] ??= nextIsIndex ? [] : {};
    node = bag[part] as Node;
  }
  (node as Record<string, unknown>)[parts[parts.length - 1]!] = value;
}

function getPath(root: unknown, path: string): Tensor | undefined {
  let node: unknown = root;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node as Tensor | undefined;
}

export interface CheckpointMeta {
  mean: [number, number, number];
  std: [number, number, number];
  source: ClipCheckpoint["source"];
}

/** Builds a ClipCheckpoint from the table, asking `get` for each tensor (it validates and may transform). */
export function assembleCheckpoint(arch: ClipArch, get: (spec: KeySpec) => Tensor, meta: CheckpointMeta): ClipCheckpoint {
  const root: Record<string, unknown> = {};
  for (const spec of openClipKeySpecs(arch)) setPath(root, spec.path, get(spec));
  const vision = root.vision as Omit<ClipCheckpoint["vision"], keyof ClipArch["vision"]>;
  const text = root.text as Omit<ClipCheckpoint["text"], keyof ClipArch["text"]>;
  return {
    embedDim: arch.embedDim,
    activation: arch.activation,
    layerNormEps: arch.layerNormEps,
    vision: { ...arch.vision, ...vision },
    text: { ...arch.text, ...text },
    mean: [...meta.mean],
    std: [...meta.std],
    source: { layout: meta.source.layout, files: [...meta.source.files] },
  };
}

/** The open_clip state dict of a checkpoint; tensors are shared, not copied. */
export function disassembleCheckpoint(ckpt: ClipCheckpoint, arch: ClipArch): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const spec of openClipKeySpecs(arch)) {
    const t = getPath(ckpt, spec.path);
    if (t === undefined || !(t.data instanceof Float32Array)) {
      throw new CheckpointError("missing_tensor", `checkpoint field ${spec.path} (for "${spec.key}") is missing`, spec.key);
    }
    if (!sameShape(t.shape, spec.shape) || t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
      throw new CheckpointError(
        "shape_mismatch",
        `checkpoint field ${spec.path} (for "${spec.key}") has shape ${fmtShape(t.shape)}, expected ${fmtShape(spec.shape)}`,
        spec.key,
      );
    }
    out[spec.key] = t;
  }
  return out;
}
