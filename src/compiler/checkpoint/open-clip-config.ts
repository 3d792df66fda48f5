// open_clip config JSON <-> ClipArch: what the hub's open_clip_config.json (or a registry model config) says.
import type { ClipArch } from "./clip-arch";
import { OPENAI_MEAN, OPENAI_STD } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";
import type { Json } from "./config-fields";
import { boolField, intField, isObject, numberField, objectField, tripleField } from "./config-fields";

export interface OpenClipConfigInfo {
  arch: ClipArch;
  mean: [number, number, number];
  std: [number, number, number];
  /** `"random": true` marks a checkpoint written by scripts/model-random.ts. */
  random: boolean;
}

function unsupported(key: string, what: string): CheckpointError {
  return new CheckpointError("unsupported_arch", `${what} (config field "${key}")`, key);
}

/** Options that change the network into something we do not run; the value lists what is accepted. */
function rejectFeatures(cfg: Json, where: string, accepted: Record<string, (v: unknown) => boolean>): void {
  for (const [field, ok] of Object.entries(accepted)) {
    const v = cfg[field];
    if (v !== undefined && v !== null && !ok(v)) {
      throw unsupported(`${where}.${field}`, `unsupported open_clip option ${field}=${JSON.stringify(v)}`);
    }
  }
}

const isFalse = (v: unknown): boolean => v === false;
const is =
  (x: unknown) =>
  (v: unknown): boolean =>
    v === x;

function eps(cfg: Json, where: string): number {
  const nk = cfg.norm_kwargs;
  if (nk === undefined || nk === null) return 1e-5;
  if (!isObject(nk)) throw new CheckpointError("bad_config", `config field "${where}.norm_kwargs" is not an object`, `${where}.norm_kwargs`);
  return numberField(nk, "eps", `${where}.norm_kwargs`, 1e-5);
}

function mlpWidth(cfg: Json, where: string, width: number): number {
  // open_clip: mlp_width = int(width * mlp_ratio)
  return Math.trunc(width * numberField(cfg, "mlp_ratio", where, 4));
}

function squareImageSize(vc: Json, where: string): number {
  const v = vc.image_size ?? 224;
  if (Array.isArray(v) && v.length === 2 && v[0] === v[1]) return intField({ image_size: v[0] }, "image_size", where);
  if (Array.isArray(v)) throw unsupported(`${where}.image_size`, `non-square image size ${JSON.stringify(v)} is not supported`);
  return intField(vc, "image_size", where);
}

/** Accepts the hub form ({model_cfg, preprocess_cfg}) or a bare registry model config ({embed_dim, vision_cfg, text_cfg}). */
export function parseOpenClipConfig(json: unknown): OpenClipConfigInfo {
  if (!isObject(json)) throw new CheckpointError("bad_config", "open_clip config is not a JSON object");
  const hub = isObject(json.model_cfg);
  const model = hub ? (json.model_cfg as Json) : json;
  const mw = hub ? "model_cfg" : "";
  const at = (f: string) => (mw ? `${mw}.${f}` : f);

  const vc = objectField(model, "vision_cfg", mw);
  const tc = objectField(model, "text_cfg", mw);
  const vw = at("vision_cfg");
  const tw = at("text_cfg");
  if (Array.isArray(vc.layers)) throw unsupported(`${vw}.layers`, "ResNet (ModifiedResNet) image towers are not supported, only ViT");
  if (vc.timm_model_name) throw unsupported(`${vw}.timm_model_name`, `timm image tower "${String(vc.timm_model_name)}" is not supported, only open_clip ViT`);
  if (tc.hf_model_name)
    throw unsupported(`${tw}.hf_model_name`, `Hugging Face text tower "${String(tc.hf_model_name)}" is not supported, only the CLIP text transformer`);
  rejectFeatures(vc, vw, {
    ls_init_value: () => false,
    attentional_pool: isFalse,
    global_average_pool: isFalse,
    no_ln_pre: isFalse,
    input_patchnorm: isFalse,
    final_ln_after_pool: isFalse,
    pool_type: is("tok"),
    pos_embed_type: is("learnable"),
  });
  rejectFeatures(tc, tw, {
    ls_init_value: () => false,
    embed_cls: isFalse,
    no_causal_mask: isFalse,
    proj_bias: isFalse,
    pool_type: is("argmax"),
    proj_type: is("linear"),
  });

  const vWidth = intField(vc, "width", vw, 768);
  const headWidth = intField(vc, "head_width", vw, 64);
  if (vWidth % headWidth !== 0) {
    throw new CheckpointError("bad_config", `config field "${vw}.head_width" (${headWidth}) does not divide width ${vWidth}`, `${vw}.head_width`);
  }
  const tWidth = intField(tc, "width", tw, 512);
  const tHeads = intField(tc, "heads", tw, 8);
  if (tWidth % tHeads !== 0) {
    throw new CheckpointError("bad_config", `config field "${tw}.heads" (${tHeads}) does not divide width ${tWidth}`, `${tw}.heads`);
  }
  const vEps = eps(vc, vw);
  if (eps(tc, tw) !== vEps) throw unsupported(`${tw}.norm_kwargs`, "different LayerNorm eps for the two towers is not supported");

  const arch: ClipArch = {
    embedDim: intField(model, "embed_dim", mw),
    activation: boolField(model, "quick_gelu", mw, false) ? "quick_gelu" : "gelu",
    layerNormEps: vEps,
    vision: {
      imageSize: squareImageSize(vc, vw),
      patchSize: intField(vc, "patch_size", vw, 16),
      width: vWidth,
      layers: intField(vc, "layers", vw, 12),
      heads: vWidth / headWidth,
      mlpWidth: mlpWidth(vc, vw, vWidth),
    },
    text: {
      contextLength: intField(tc, "context_length", tw, 77),
      vocabSize: intField(tc, "vocab_size", tw, 49408),
      width: tWidth,
      layers: intField(tc, "layers", tw, 12),
      heads: tHeads,
      mlpWidth: mlpWidth(tc, tw, tWidth),
    },
  };
  const pre = isObject(json.preprocess_cfg) ? json.preprocess_cfg : {};
  return {
    arch,
    mean: tripleField(pre, "mean", "preprocess_cfg", OPENAI_MEAN),
    std: tripleField(pre, "std", "preprocess_cfg", OPENAI_STD),
    random: json.random === true,
  };
}

/** An mlp_ratio that open_clip's int(width * ratio) turns back into exactly mlpWidth. */
function mlpRatio(width: number, mlp: number): number {
  let r = mlp / width;
  while (Math.trunc(width * r) < mlp) r = r + Number.EPSILON * r;
  return r;
}

/** The hub-form open_clip_config.json for an architecture (extra `"random": true` when asked). */
export function openClipConfigJson(arch: ClipArch, mean: readonly number[], std: readonly number[], options: { random?: boolean } = {}): Json {
  const v = arch.vision;
  const t = arch.text;
  if (v.width % v.heads !== 0 || t.width % t.heads !== 0) {
    throw new CheckpointError("bad_config", "heads must divide width in both towers to write an open_clip config");
  }
  const visionCfg: Json = { image_size: v.imageSize, layers: v.layers, width: v.width, patch_size: v.patchSize, head_width: v.width / v.heads };
  const textCfg: Json = { context_length: t.contextLength, vocab_size: t.vocabSize, width: t.width, heads: t.heads, layers: t.layers };
  if (v.mlpWidth !== 4 * v.width) visionCfg.mlp_ratio = mlpRatio(v.width, v.mlpWidth);
  if (t.mlpWidth !== 4 * t.width) textCfg.mlp_ratio = mlpRatio(t.width, t.mlpWidth);
  if (arch.layerNormEps !== 1e-5) {
    visionCfg.norm_kwargs = { eps: arch.layerNormEps };
    textCfg.norm_kwargs = { eps: arch.layerNormEps };
  }
  const modelCfg: Json = { embed_dim: arch.embedDim, vision_cfg: visionCfg, text_cfg: textCfg };
  if (arch.activation === "quick_gelu") modelCfg.quick_gelu = true;
  const out: Json = { model_cfg: modelCfg, preprocess_cfg: { mean: [...mean], std: [...std] } };
  if (options.random) out.random = true;
  return out;
}
