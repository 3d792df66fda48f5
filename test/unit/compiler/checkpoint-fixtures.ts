// Shared fixtures for the checkpoint tests: a tiny random CLIP, its HF-layout twin built by hand, error assertions.
import { expect } from "vitest";
import type { ClipArch } from "../../../src/compiler/checkpoint/clip-arch";
import { ARCH_PRESETS } from "../../../src/compiler/checkpoint/clip-arch";
import type { ClipCheckpoint, Tensor } from "../../../src/compiler/checkpoint/clip-checkpoint";
import { CheckpointError } from "../../../src/compiler/checkpoint/checkpoint-error";
import type { CheckpointErrorCode } from "../../../src/compiler/checkpoint/checkpoint-error";

/** Small everything, odd sizes so that a transposed or swapped tensor cannot have the right shape by accident. */
export const TEST_ARCH: ClipArch = {
  embedDim: 24,
  activation: "gelu",
  layerNormEps: 1e-5,
  vision: { imageSize: 64, patchSize: 16, width: 32, layers: 2, heads: 2, mlpWidth: 80 },
  text: { contextLength: 9, vocabSize: 50, width: 16, layers: 3, heads: 2, mlpWidth: 64 },
};

export const TINY_SMALL_VOCAB: ClipArch = { ...ARCH_PRESETS.tiny, text: { ...ARCH_PRESETS.tiny.text, vocabSize: 1000 } };

export function expectCheckpointError(fn: () => unknown, code: CheckpointErrorCode, mentions: string[] = []): CheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  const err = caught as CheckpointError;
  expect(err.code).toBe(code);
  for (const m of mentions) expect(err.message).toContain(m);
  return err;
}

function transpose(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data: out };
}

/** Rows [from, to) of a [rows, ...] tensor. */
function rows(t: Tensor, from: number, to: number): Tensor {
  const inner = t.data.length / t.shape[0]!;
  return { shape: [to - from, ...t.shape.slice(1)], data: t.data.slice(from * inner, to * inner) };
}

/** The Hugging Face CLIPModel state dict and config of a checkpoint, written independently of src/. */
export function toHfLayout(c: ClipCheckpoint): { tensors: Record<string, Tensor>; config: Record<string, unknown> } {
  const out: Record<string, Tensor> = { logit_scale: { shape: [], data: new Float32Array([4.6]) } };
  const towers = [
    ["vision_model", c.vision.blocks, c.vision.width],
    ["text_model", c.text.blocks, c.text.width],
  ] as const;
  for (const [tower, blocks, w] of towers) {
    blocks.forEach((b, i) => {
      const p = `${tower}.encoder.layers.${i}.`;
      out[`${p}layer_norm1.weight`] = b.ln1.weight;
      out[`${p}layer_norm1.bias`] = b.ln1.bias;
      ["q_proj", "k_proj", "v_proj"].forEach((name, k) => {
        out[`${p}self_attn.${name}.weight`] = rows(b.inProjWeight, k * w, (k + 1) * w);
        out[`${p}self_attn.${name}.bias`] = rows(b.inProjBias, k * w, (k + 1) * w);
      });
      out[`${p}self_attn.out_proj.weight`] = b.outProjWeight;
      out[`${p}self_attn.out_proj.bias`] = b.outProjBias;
      out[`${p}layer_norm2.weight`] = b.ln2.weight;
      out[`${p}layer_norm2.bias`] = b.ln2.bias;
      out[`${p}mlp.fc1.weight`] = b.fcWeight;
      out[`${p}mlp.fc1.bias`] = b.fcBias;
      out[`${p}mlp.fc2.weight`] = b.projWeight;
      out[`${p}mlp.fc2.bias`] = b.projBias;
    });
  }
  Object.assign(out, {
    "vision_model.embeddings.patch_embedding.weight": c.vision.convWeight,
    "vision_model.embeddings.class_embedding": c.vision.classEmbedding,
    "vision_model.embeddings.position_embedding.weight": c.vision.positionalEmbedding,
    "vision_model.pre_layrnorm.weight": c.vision.lnPre.weight,
    "vision_model.pre_layrnorm.bias": c.vision.lnPre.bias,
    "vision_model.post_layernorm.weight": c.vision.lnPost.weight,
    "vision_model.post_layernorm.bias": c.vision.lnPost.bias,
    "visual_projection.weight": transpose(c.vision.proj),
    "text_model.embeddings.token_embedding.weight": c.text.tokenEmbedding,
    "text_model.embeddings.position_embedding.weight": c.text.positionalEmbedding,
    "text_model.final_layer_norm.weight": c.text.lnFinal.weight,
    "text_model.final_layer_norm.bias": c.text.lnFinal.bias,
    "text_projection.weight": transpose(c.text.textProjection),
  });
  const config = {
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: c.embedDim,
    vision_config: {
      hidden_size: c.vision.width,
      intermediate_size: c.vision.mlpWidth,
      num_hidden_layers: c.vision.layers,
      num_attention_heads: c.vision.heads,
      patch_size: c.vision.patchSize,
      image_size: c.vision.imageSize,
      hidden_act: c.activation,
      layer_norm_eps: c.layerNormEps,
    },
    text_config: {
      hidden_size: c.text.width,
      intermediate_size: c.text.mlpWidth,
      num_hidden_layers: c.text.layers,
      num_attention_heads: c.text.heads,
      max_position_embeddings: c.text.contextLength,
      vocab_size: c.text.vocabSize,
      hidden_act: c.activation,
      layer_norm_eps: c.layerNormEps,
    },
  };
  return { tensors: out, config };
}

/** Same weights and hyper-parameters (ignores `source`). */
export function expectSameCheckpoint(a: ClipCheckpoint, b: ClipCheckpoint): void {
  expect({ ...a, source: undefined }).toEqual({ ...b, source: undefined });
}
