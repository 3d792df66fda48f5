// open_clip mapping: byte-level round trips, key names, config round trips and every error path.
import { describe, expect, it } from "vitest";
import { archOf } from "../../../src/compiler/checkpoint/clip-arch";
import type { Tensor } from "../../../src/compiler/checkpoint/clip-checkpoint";
import { parseOpenClipConfig } from "../../../src/compiler/checkpoint/open-clip-config";
import { fromOpenClipTensors, parameterCount, toOpenClipTensors } from "../../../src/compiler/checkpoint/open-clip-layout";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { parseSafetensors, serializeSafetensors } from "../../../src/compiler/checkpoint/safetensors";
import { floatToHalfBits, halfBitsToFloat } from "../../../src/shared/float16";
import { TEST_ARCH, TINY_SMALL_VOCAB, expectCheckpointError, expectSameCheckpoint } from "./checkpoint-fixtures";

const ckpt = randomCheckpoint(TEST_ARCH, 7);

function without(tensors: Record<string, Tensor>, key: string): Record<string, Tensor> {
  const { [key]: _drop, ...rest } = tensors;
  return rest;
}

describe("open_clip layout", () => {
  it("round-trips a random tiny checkpoint through safetensors bytes", () => {
    const tiny = randomCheckpoint(TINY_SMALL_VOCAB, 3);
    const { tensors, config } = toOpenClipTensors(tiny);
    const parsed = parseSafetensors(serializeSafetensors(tensors));
    const back = fromOpenClipTensors(JSON.parse(JSON.stringify(config)), parsed);
    expectSameCheckpoint(back, tiny);
    expect(back.source).toEqual({ layout: "random", files: ["open_clip_model.safetensors", "open_clip_config.json"] });
  });

  it("uses open_clip key names and shapes", () => {
    const { tensors } = toOpenClipTensors(ckpt);
    expect(tensors["visual.transformer.resblocks.1.attn.in_proj_weight"]!.shape).toEqual([96, 32]);
    expect(tensors["visual.positional_embedding"]!.shape).toEqual([17, 32]);
    expect(tensors["visual.proj"]!.data).toBe(ckpt.vision.proj.data);
    expect(tensors["transformer.resblocks.2.mlp.c_proj.weight"]!.shape).toEqual([16, 64]);
    expect(tensors.text_projection!.shape).toEqual([16, 24]);
    expect(Object.keys(tensors)).toHaveLength(5 + 12 * 2 + 3 + 2 + 12 * 3 + 3);
    expect(parameterCount(archOf(ckpt))).toBe(Object.values(tensors).reduce((n, t) => n + t.data.length, 0));
  });

  it("round-trips non-default mlp ratios, eps, activation and mean/std through the config", () => {
    const arch = { ...TEST_ARCH, layerNormEps: 1e-6, vision: { ...TEST_ARCH.vision, mlpWidth: 71 } };
    const c = { ...randomCheckpoint(arch, 1), mean: [0.5, 0.5, 0.5] as [number, number, number] };
    const { tensors, config } = toOpenClipTensors(c);
    const back = fromOpenClipTensors(config, tensors);
    expect(archOf(back)).toEqual(arch);
    expect(back.mean).toEqual([0.5, 0.5, 0.5]);
    expect(back.source.layout).toBe("random");
  });

  it("F16 files read back as the half-rounded weights", () => {
    const { tensors, config } = toOpenClipTensors(ckpt);
    const back = fromOpenClipTensors(config, parseSafetensors(serializeSafetensors(tensors, "F16")));
    const want = ckpt.vision.blocks[1]!.fcWeight.data.map((v) => halfBitsToFloat(floatToHalfBits(v)));
    expect(back.vision.blocks[1]!.fcWeight.data).toEqual(want);
  });

  it("reads a non-random hub config as open_clip and a registry-form config too", () => {
    const { tensors, config } = toOpenClipTensors(ckpt);
    const { random: _r, ...hub } = config;
    expect(fromOpenClipTensors(hub, tensors).source.layout).toBe("open_clip");
    const registry = hub.model_cfg as Record<string, unknown>;
    expectSameCheckpoint(fromOpenClipTensors(registry, tensors), ckpt);
  });

  it("reads custom-text checkpoints whose text tower sits under text.", () => {
    const { tensors, config } = toOpenClipTensors(ckpt);
    const moved = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k.startsWith("visual.") ? k : `text.${k}`, t]));
    expectSameCheckpoint(fromOpenClipTensors(config, { ...moved, "text.logit_scale": tensors.text_projection! }), ckpt);
  });

  it("ignores logit_scale and position_ids", () => {
    const { tensors, config } = toOpenClipTensors(ckpt);
    const scalar = { shape: [], data: new Float32Array(1) };
    expectSameCheckpoint(fromOpenClipTensors(config, { ...tensors, logit_scale: scalar, "text.position_ids": scalar }), ckpt);
  });
});

describe("open_clip layout errors", () => {
  const { tensors, config } = toOpenClipTensors(ckpt);
  const model = config.model_cfg as Record<string, Record<string, unknown>>;
  const withVision = (patch: Record<string, unknown>) => ({ ...config, model_cfg: { ...model, vision_cfg: { ...model.vision_cfg, ...patch } } });
  const withText = (patch: Record<string, unknown>) => ({ ...config, model_cfg: { ...model, text_cfg: { ...model.text_cfg, ...patch } } });

  it("names a missing tensor", () => {
    const key = "visual.transformer.resblocks.1.mlp.c_fc.bias";
    const err = expectCheckpointError(() => fromOpenClipTensors(config, without(tensors, key)), "missing_tensor", [key, "[80]"]);
    expect(err.key).toBe(key);
  });

  it("names a tensor of the wrong shape with both shapes", () => {
    const key = "visual.proj";
    const bad = { ...tensors, [key]: { shape: [24, 32], data: new Float32Array(24 * 32) } };
    expectCheckpointError(() => fromOpenClipTensors(config, bad), "shape_mismatch", [key, "[24, 32]", "[32, 24]"]);
  });

  it("reports a config/checkpoint disagreement as a shape mismatch", () => {
    expectCheckpointError(() => fromOpenClipTensors(withVision({ patch_size: 8 }), tensors), "shape_mismatch", ["visual.conv1.weight"]);
    expectCheckpointError(() => fromOpenClipTensors(withText({ vocab_size: 49408 }), tensors), "shape_mismatch", ["token_embedding.weight"]);
  });

  it("rejects tensors the config does not describe (deeper checkpoint, layer scale)", () => {
    expectCheckpointError(() => fromOpenClipTensors(withVision({ layers: 1 }), tensors), "unexpected_tensor", ["visual.transformer.resblocks.1."]);
    const ls = { ...tensors, "visual.transformer.resblocks.0.ls_1.gamma": tensors["visual.ln_pre.bias"]! };
    expectCheckpointError(() => fromOpenClipTensors(config, ls), "unexpected_tensor", ["ls_1.gamma"]);
  });

  it("rejects a ResNet, timm or HF-text tower", () => {
    const err = expectCheckpointError(() => fromOpenClipTensors(withVision({ layers: [3, 4, 6, 3] }), tensors), "unsupported_arch", ["ResNet"]);
    expect(err.key).toBe("model_cfg.vision_cfg.layers");
    expectCheckpointError(() => fromOpenClipTensors(withVision({ timm_model_name: "convnext_base" }), tensors), "unsupported_arch", ["convnext_base"]);
    expectCheckpointError(() => fromOpenClipTensors(withText({ hf_model_name: "roberta-base" }), tensors), "unsupported_arch", ["roberta-base"]);
    expectCheckpointError(() => fromOpenClipTensors(withVision({ attentional_pool: true }), tensors), "unsupported_arch", ["attentional_pool"]);
    expectCheckpointError(() => fromOpenClipTensors(withVision({ image_size: [64, 96] }), tensors), "unsupported_arch", ["non-square"]);
  });

  it("rejects malformed configs naming the field", () => {
    expectCheckpointError(() => parseOpenClipConfig(null), "bad_config");
    expectCheckpointError(() => parseOpenClipConfig({ model_cfg: { embed_dim: 8, text_cfg: {} } }), "bad_config", ["model_cfg.vision_cfg"]);
    expectCheckpointError(() => fromOpenClipTensors(withVision({ head_width: 12 }), tensors), "bad_config", ["head_width"]);
    expectCheckpointError(() => fromOpenClipTensors(withVision({ width: "32" }), tensors), "bad_config", ["model_cfg.vision_cfg.width"]);
    const noEmbed = { ...config, model_cfg: { ...model, embed_dim: undefined } };
    expectCheckpointError(() => fromOpenClipTensors(noEmbed, tensors), "bad_config", ["model_cfg.embed_dim"]);
  });

  it("applies open_clip defaults (head_width 64, mlp_ratio 4, OpenAI mean/std)", () => {
    const info = parseOpenClipConfig({
      embed_dim: 512,
      vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32 },
      text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
    });
    expect(info.arch.vision).toEqual({ imageSize: 224, patchSize: 32, width: 768, layers: 12, heads: 12, mlpWidth: 3072 });
    expect(info.arch.activation).toBe("gelu");
    expect(info.mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(info.random).toBe(false);
  });
});
