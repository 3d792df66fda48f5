// Hugging Face CLIPModel layout (model.safetensors + config.json) -> ClipCheckpoint, via the open_clip key table.
import type { ClipCheckpoint, Tensor } from "./clip-checkpoint";
import { parseHfConfig } from "./hf-config";
import type { KeySpec } from "./open-clip-keys";
import { assembleCheckpoint } from "./open-clip-keys";
import type { TensorSource } from "./tensor-map";
import { concatRows, keysOf, rejectUnconsumed, take, transpose2d } from "./tensor-map";

export const HF_FILES = ["model.safetensors", "config.json"];

/** Where an open_clip tensor lives in HF: one key as is, one key transposed, or q/k/v stacked. */
type HfSource = { kind: "same"; key: string } | { kind: "transposed"; key: string } | { kind: "qkv"; prefix: string; param: string };

const TOP: Record<string, HfSource> = {
  "visual.conv1.weight": { kind: "same", key: "vision_model.embeddings.patch_embedding.weight" },
  "visual.class_embedding": { kind: "same", key: "vision_model.embeddings.class_embedding" },
  "visual.positional_embedding": { kind: "same", key: "vision_model.embeddings.position_embedding.weight" },
  "visual.ln_pre.weight": { kind: "same", key: "vision_model.pre_layrnorm.weight" }, // sic: HF's spelling
  "visual.ln_pre.bias": { kind: "same", key: "vision_model.pre_layrnorm.bias" },
  "visual.ln_post.weight": { kind: "same", key: "vision_model.post_layernorm.weight" },
  "visual.ln_post.bias": { kind: "same", key: "vision_model.post_layernorm.bias" },
  "visual.proj": { kind: "transposed", key: "visual_projection.weight" },
  "token_embedding.weight": { kind: "same", key: "text_model.embeddings.token_embedding.weight" },
  positional_embedding: { kind: "same", key: "text_model.embeddings.position_embedding.weight" },
  "ln_final.weight": { kind: "same", key: "text_model.final_layer_norm.weight" },
  "ln_final.bias": { kind: "same", key: "text_model.final_layer_norm.bias" },
  text_projection: { kind: "transposed", key: "text_projection.weight" },
};

const BLOCK_MODULES: Record<string, string> = {
  ln_1: "layer_norm1",
  ln_2: "layer_norm2",
  "attn.out_proj": "self_attn.out_proj",
  "mlp.c_fc": "mlp.fc1",
  "mlp.c_proj": "mlp.fc2",
};

const BLOCK_KEY = /^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)\.(weight|bias)$/;
const IN_PROJ_KEY = /^(visual\.)?transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$/;

export function hfSourceOf(openClipKey: string): HfSource {
  const top = TOP[openClipKey];
  if (top) return top;
  const inProj = IN_PROJ_KEY.exec(openClipKey);
  if (inProj) {
    const tower = inProj[1] ? "vision_model" : "text_model";
    return { kind: "qkv", prefix: `${tower}.encoder.layers.${inProj[2]}.self_attn.`, param: inProj[3]! };
  }
  const block = BLOCK_KEY.exec(openClipKey);
  const module = block && BLOCK_MODULES[block[3]!];
  if (!block || !module) throw new Error(`no Hugging Face key for open_clip key "${openClipKey}"`);
  const tower = block[1] ? "vision_model" : "text_model";
  return { kind: "same", key: `${tower}.encoder.layers.${block[2]}.${module}.${block[4]}` };
}

function takeHf(tensors: TensorSource, spec: KeySpec, used: Set<string>): Tensor {
  const src = hfSourceOf(spec.key);
  switch (src.kind) {
    case "same":
      used.add(src.key);
      return take(tensors, src.key, spec.shape);
    case "transposed":
      used.add(src.key);
      return transpose2d(take(tensors, src.key, [spec.shape[1]!, spec.shape[0]!]));
    case "qkv": {
      const width = spec.shape[spec.shape.length - 1]!;
      const partShape = src.param === "weight" ? [width, width] : [spec.shape[0]! / 3];
      const parts = ["q_proj", "k_proj", "v_proj"].map((p) => {
        const key = `${src.prefix}${p}.${src.param}`;
        used.add(key);
        return take(tensors, key, partShape);
      });
      return concatRows(parts);
    }
  }
}

const isIgnored = (key: string): boolean => key === "logit_scale" || key.endsWith("position_ids");

export function fromHfTensors(configJson: unknown, tensors: TensorSource, options: { preprocessorConfig?: unknown; files?: string[] } = {}): ClipCheckpoint {
  const info = parseHfConfig(configJson, options.preprocessorConfig);
  const used = new Set<string>();
  const ckpt = assembleCheckpoint(info.arch, (spec) => takeHf(tensors, spec, used), {
    mean: info.mean,
    std: info.std,
    source: { layout: "hf", files: options.files ?? HF_FILES },
  });
  rejectUnconsumed(keysOf(tensors), used, isIgnored, "Hugging Face");
  return ckpt;
}
