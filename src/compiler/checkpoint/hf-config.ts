// Hugging Face CLIPConfig (config.json, + optional preprocessor_config.json) -> ClipArch, with HF's defaults.
import type { Activation } from "./clip-checkpoint";
import type { ClipArch } from "./clip-arch";
import { OPENAI_MEAN, OPENAI_STD } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";
import type { Json } from "./config-fields";
import { intField, isObject, numberField, stringField, tripleField } from "./config-fields";

export interface HfConfigInfo {
  arch: ClipArch;
  mean: [number, number, number];
  std: [number, number, number];
}

function activation(cfg: Json, where: string): Activation {
  const act = stringField(cfg, "hidden_act", where, "quick_gelu");
  if (act === "quick_gelu" || act === "gelu") return act;
  throw new CheckpointError(
    "unsupported_arch",
    `hidden_act "${act}" is not supported (config field "${where}.hidden_act"); use gelu or quick_gelu`,
    `${where}.hidden_act`,
  );
}

/** Older configs carry `*_config_dict`; newer ones omit fields equal to CLIP*Config defaults. */
function tower(json: Json, name: "vision" | "text"): { cfg: Json; where: string } {
  for (const field of [`${name}_config`, `${name}_config_dict`]) {
    if (isObject(json[field])) return { cfg: json[field] as Json, where: field };
  }
  if (name === "vision") {
    throw new CheckpointError(
      "unsupported_arch",
      `Hugging Face config has no vision_config (model_type ${JSON.stringify(json.model_type)}); a full CLIPModel config is required`,
      "vision_config",
    );
  }
  return { cfg: {}, where: `${name}_config` };
}

export function parseHfConfig(json: unknown, preprocessorJson?: unknown): HfConfigInfo {
  if (!isObject(json)) throw new CheckpointError("bad_config", "Hugging Face config is not a JSON object");
  if (json.model_type !== undefined && json.model_type !== "clip") {
    throw new CheckpointError("unsupported_arch", `Hugging Face model_type "${String(json.model_type)}" is not supported, only "clip"`, "model_type");
  }
  const { cfg: vc, where: vw } = tower(json, "vision");
  const { cfg: tc, where: tw } = tower(json, "text");
  if (intField(vc, "num_channels", vw, 3) !== 3) {
    throw new CheckpointError("unsupported_arch", `config field "${vw}.num_channels" must be 3`, `${vw}.num_channels`);
  }
  const act = activation(vc, vw);
  if (activation(tc, tw) !== act) {
    throw new CheckpointError("unsupported_arch", "vision and text towers with different hidden_act are not supported", `${tw}.hidden_act`);
  }
  const eps = numberField(vc, "layer_norm_eps", vw, 1e-5);
  if (numberField(tc, "layer_norm_eps", tw, 1e-5) !== eps) {
    throw new CheckpointError("unsupported_arch", "vision and text towers with different layer_norm_eps are not supported", `${tw}.layer_norm_eps`);
  }
  const vWidth = intField(vc, "hidden_size", vw, 768);
  const vHeads = intField(vc, "num_attention_heads", vw, 12);
  const tWidth = intField(tc, "hidden_size", tw, 512);
  const tHeads = intField(tc, "num_attention_heads", tw, 8);
  for (const [w, h, where] of [
    [vWidth, vHeads, vw],
    [tWidth, tHeads, tw],
  ] as const) {
    if (w % h !== 0) {
      throw new CheckpointError(
        "bad_config",
        `config field "${where}.num_attention_heads" (${h}) does not divide hidden_size ${w}`,
        `${where}.num_attention_heads`,
      );
    }
  }
  const arch: ClipArch = {
    embedDim: intField(json, "projection_dim", "", 512),
    activation: act,
    layerNormEps: eps,
    vision: {
      imageSize: intField(vc, "image_size", vw, 224),
      patchSize: intField(vc, "patch_size", vw, 32),
      width: vWidth,
      layers: intField(vc, "num_hidden_layers", vw, 12),
      heads: vHeads,
      mlpWidth: intField(vc, "intermediate_size", vw, 3072),
    },
    text: {
      contextLength: intField(tc, "max_position_embeddings", tw, 77),
      vocabSize: intField(tc, "vocab_size", tw, 49408),
      width: tWidth,
      layers: intField(tc, "num_hidden_layers", tw, 12),
      heads: tHeads,
      mlpWidth: intField(tc, "intermediate_size", tw, 2048),
    },
  };
  const pre = isObject(preprocessorJson) ? preprocessorJson : {};
  return {
    arch,
    mean: tripleField(pre, "image_mean", "preprocessor_config", OPENAI_MEAN),
    std: tripleField(pre, "image_std", "preprocessor_config", OPENAI_STD),
  };
}
