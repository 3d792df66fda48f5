// Hugging Face CLIPModel mapping: equivalence with open_clip on the same weights, config defaults, error paths.
import { describe, expect, it } from "vitest";
import { parseHfConfig } from "../../../src/compiler/checkpoint/hf-config";
import { fromHfTensors } from "../../../src/compiler/checkpoint/hf-layout";
import { fromOpenClipTensors, toOpenClipTensors } from "../../../src/compiler/checkpoint/open-clip-layout";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { parseSafetensors, serializeSafetensors } from "../../../src/compiler/checkpoint/safetensors";
import { TEST_ARCH, expectCheckpointError, expectSameCheckpoint, toHfLayout } from "./checkpoint-fixtures";

const ckpt = randomCheckpoint({ ...TEST_ARCH, activation: "quick_gelu" }, 11);
const hf = toHfLayout(ckpt);

describe("Hugging Face layout", () => {
  it("maps to the same checkpoint as the open_clip layout of the same weights (q/k/v split, transposed projections)", () => {
    const viaHf = fromHfTensors(hf.config, parseSafetensors(serializeSafetensors(hf.tensors)));
    const oc = toOpenClipTensors(ckpt);
    const viaOpenClip = fromOpenClipTensors(oc.config, oc.tensors);
    expectSameCheckpoint(viaHf, viaOpenClip);
    expectSameCheckpoint(viaHf, ckpt);
    expect(viaHf.source).toEqual({ layout: "hf", files: ["model.safetensors", "config.json"] });
    expect(viaHf.activation).toBe("quick_gelu");
  });

  it("takes mean/std from preprocessor_config.json", () => {
    const c = fromHfTensors(hf.config, hf.tensors, { preprocessorConfig: { image_mean: [0.5, 0.5, 0.5], image_std: [0.25, 0.25, 0.25] } });
    expect(c.mean).toEqual([0.5, 0.5, 0.5]);
    expect(c.std).toEqual([0.25, 0.25, 0.25]);
  });

  it("applies CLIPConfig defaults for omitted fields and accepts *_config_dict", () => {
    const info = parseHfConfig({
      model_type: "clip",
      vision_config_dict: { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096, patch_size: 14, image_size: 336 },
      text_config: { hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072 },
      projection_dim: 768,
    });
    expect(info.arch).toEqual({
      embedDim: 768,
      activation: "quick_gelu",
      layerNormEps: 1e-5,
      vision: { imageSize: 336, patchSize: 14, width: 1024, layers: 24, heads: 16, mlpWidth: 4096 },
      text: { contextLength: 77, vocabSize: 49408, width: 768, layers: 12, heads: 12, mlpWidth: 3072 },
    });
  });
});

describe("Hugging Face layout errors", () => {
  const vc = hf.config.vision_config as Record<string, unknown>;
  const tc = hf.config.text_config as Record<string, unknown>;

  it("names a missing q/k/v tensor", () => {
    const key = "text_model.encoder.layers.2.self_attn.k_proj.weight";
    const { [key]: _gone, ...rest } = hf.tensors;
    const err = expectCheckpointError(() => fromHfTensors(hf.config, rest), "missing_tensor", [key, "[16, 16]"]);
    expect(err.key).toBe(key);
  });

  it("names a projection of the wrong (untransposed) shape", () => {
    const bad = { ...hf.tensors, "visual_projection.weight": { shape: [32, 24], data: new Float32Array(32 * 24) } };
    expectCheckpointError(() => fromHfTensors(hf.config, bad), "shape_mismatch", ["visual_projection.weight", "[32, 24]", "[24, 32]"]);
  });

  it("rejects configs without a vision tower or with other model types", () => {
    const { vision_config: _v, ...textOnly } = hf.config;
    const err = expectCheckpointError(() => fromHfTensors(textOnly, hf.tensors), "unsupported_arch", ["vision_config"]);
    expect(err.key).toBe("vision_config");
    expectCheckpointError(() => fromHfTensors({ ...hf.config, model_type: "siglip" }, hf.tensors), "unsupported_arch", ["siglip"]);
  });

  it("rejects unsupported or mixed activations", () => {
    expectCheckpointError(
      () => fromHfTensors({ ...hf.config, vision_config: { ...vc, hidden_act: "gelu_new" }, text_config: { ...tc, hidden_act: "gelu_new" } }, hf.tensors),
      "unsupported_arch",
      ["gelu_new", "vision_config.hidden_act"],
    );
    expectCheckpointError(() => fromHfTensors({ ...hf.config, text_config: { ...tc, hidden_act: "gelu" } }, hf.tensors), "unsupported_arch", ["hidden_act"]);
  });

  it("rejects extra layers the config does not describe", () => {
    expectCheckpointError(() => fromHfTensors({ ...hf.config, vision_config: { ...vc, num_hidden_layers: 1 } }, hf.tensors), "unexpected_tensor", [
      "vision_model.encoder.layers.1.",
    ]);
  });

  it("rejects heads that do not divide the width", () => {
    expectCheckpointError(() => fromHfTensors({ ...hf.config, vision_config: { ...vc, num_attention_heads: 5 } }, hf.tensors), "bad_config", [
      "vision_config.num_attention_heads",
    ]);
  });
});
