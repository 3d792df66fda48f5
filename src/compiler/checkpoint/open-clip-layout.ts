// open_clip layout (open_clip_model.safetensors + open_clip_config.json) <-> ClipCheckpoint.
import type { ClipArch } from "./clip-arch";
import { archOf } from "./clip-arch";
import type { ClipCheckpoint, Tensor } from "./clip-checkpoint";
import type { Json } from "./config-fields";
import { openClipConfigJson, parseOpenClipConfig } from "./open-clip-config";
import { assembleCheckpoint, disassembleCheckpoint, OPEN_CLIP_IGNORED, openClipKeySpecs } from "./open-clip-keys";
import type { TensorSource } from "./tensor-map";
import { keysOf, lookup, rejectUnconsumed, take } from "./tensor-map";

export const OPEN_CLIP_FILES = ["open_clip_model.safetensors", "open_clip_config.json"];

// open_clip "custom text" models (CustomTextCLIP) keep the text tower under a `text.` prefix.
const TEXT_ROOTS = ["token_embedding.", "positional_embedding", "transformer.", "ln_final.", "text_projection"];

function isIgnored(key: string): boolean {
  return OPEN_CLIP_IGNORED.has(key) || key.endsWith("position_ids");
}

export function fromOpenClipTensors(configJson: unknown, tensors: TensorSource, options: { files?: string[] } = {}): ClipCheckpoint {
  const info = parseOpenClipConfig(configJson);
  const prefixed = lookup(tensors, "token_embedding.weight") === undefined && lookup(tensors, "text.token_embedding.weight") !== undefined;
  const resolve = (key: string): string => (prefixed && TEXT_ROOTS.some((r) => key.startsWith(r)) ? `text.${key}` : key);
  const used = new Set<string>();
  const ckpt = assembleCheckpoint(
    info.arch,
    (spec) => {
      const key = resolve(spec.key);
      used.add(key);
      return take(tensors, key, spec.shape);
    },
    { mean: info.mean, std: info.std, source: { layout: info.random ? "random" : "open_clip", files: options.files ?? OPEN_CLIP_FILES } },
  );
  rejectUnconsumed(keysOf(tensors), used, (k) => isIgnored(prefixed && k.startsWith("text.") ? k.slice(5) : k), "open_clip");
  return ckpt;
}

/** The open_clip state dict (tensors shared with `ckpt`) and hub config; a random checkpoint's config gets "random": true. */
export function toOpenClipTensors(ckpt: ClipCheckpoint): { tensors: Record<string, Tensor>; config: Json } {
  const arch = archOf(ckpt);
  const tensors = disassembleCheckpoint(ckpt, arch);
  const config = openClipConfigJson(arch, ckpt.mean, ckpt.std, { random: ckpt.source.layout === "random" });
  return { tensors, config };
}

/** Number of float parameters of an architecture (every tensor of the open_clip layout; logit_scale excluded). */
export function parameterCount(arch: ClipArch): number {
  return openClipKeySpecs(arch).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}
