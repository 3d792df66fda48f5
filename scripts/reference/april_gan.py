"""The official APRIL-GAN inference (test.py of the reference repository) on CPU in fp32, in plain torch.

Loading: open_clip layout checkpoint + open_clip_config.json + linear adapters, at a serving size S (positions
resized like open_clip's load_checkpoint). Text features: the prompt ensemble through the text tower, computed once per
object (the official test computes them for every object before its loop). Zero-shot and few-shot follow test.py.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from open_clip_model import build_clip
from safetensors_reader import read_safetensors

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPTS = os.path.join(REPO, "src", "engine", "anomaly", "prompts.json")


class LinearLayer(nn.Module):
    """The official adapters: fc[i] applied to the tapped tokens of layer i without the class token."""

    def __init__(self, dim_in, dim_out, k):
        super().__init__()
        self.fc = nn.ModuleList([nn.Linear(dim_in, dim_out) for _ in range(k)])

    def forward(self, tokens):
        return [self.fc[i](tokens[i][:, 1:, :]) for i in range(len(tokens))]


def _load_tensors(directory, safetensors_name, torch_name):
    st = os.path.join(directory, safetensors_name)
    if os.path.exists(st):
        return read_safetensors(st)[0]
    pt = os.path.join(directory, torch_name)
    if os.path.exists(pt):
        return torch.load(pt, map_location="cpu")
    raise FileNotFoundError(f"{directory}: neither {safetensors_name} nor {torch_name}")


def load_april_gan(model_dir, image_size, layers):
    """(clip, adapter, config) from an open_clip-layout folder: open_clip_config.json, open_clip_model.safetensors (or
    open_clip_pytorch_model.bin) and adapter.safetensors (or the official train.py's adapter.pth)."""
    with open(os.path.join(model_dir, "open_clip_config.json")) as f:
        config = json.load(f)
    state = _load_tensors(model_dir, "open_clip_model.safetensors", "open_clip_pytorch_model.bin")
    clip = build_clip(config["model_cfg"], state, image_size)
    adapter_state = _load_tensors(model_dir, "adapter.safetensors", "adapter.pth")
    adapter_state = adapter_state.get("trainable_linearlayer", adapter_state)
    width = config["model_cfg"]["vision_cfg"]["width"]
    adapter = LinearLayer(width, config["model_cfg"]["embed_dim"], len(layers))
    adapter.load_state_dict(adapter_state, strict=True)
    return clip, adapter.eval(), config


def prompt_sentences(object_name):
    """[normal sentences, abnormal sentences]: every state with every template, as the official ensemble builds them."""
    with open(PROMPTS) as f:
        prompts = json.load(f)
    out = []
    for states in (prompts["normal_states"], prompts["abnormal_states"]):
        out.append([t.format(s.format(object_name)) for s in states for t in prompts["templates"]])
    return out


@torch.no_grad()
def text_features(clip, tokenizer, object_name):
    """encode_text_with_prompt_ensemble for one object: [embed_dim, 2], column 0 normal, 1 abnormal."""
    columns = []
    for sentences in prompt_sentences(object_name):
        embeddings = clip.encode_text(tokenizer(sentences))
        embeddings /= embeddings.norm(dim=-1, keepdim=True)
        embedding = embeddings.mean(dim=0)
        embedding /= embedding.norm()
        columns.append(embedding)
    return torch.stack(columns, dim=1)


@torch.no_grad()
def encode(clip, pixels, layers):
    """The official model.encode_image(image, features_list): (image features, tapped tokens per layer)."""
    return clip.encode_image(pixels, layers)


@torch.no_grad()
def zero_shot_from_encoding(adapter, image_features, patch_tokens, text, size):
    """test.py's zero-shot part after the encoder, for one image: score, map [S, S] (numpy), and the intermediates."""
    image_features = image_features / image_features.norm(dim=-1, keepdim=True)
    text_features = text.unsqueeze(0)  # torch.stack over the batch's class names, batch of 1
    text_probs = (100.0 * image_features @ text_features[0]).softmax(dim=-1)
    score = text_probs[0][1].item()
    projected = adapter(list(patch_tokens))
    maps = []
    for layer in range(len(projected)):
        projected[layer] /= projected[layer].norm(dim=-1, keepdim=True)
        logits = 100.0 * projected[layer] @ text_features
        b, l, _ = logits.shape
        h = int(np.sqrt(l))
        logits = F.interpolate(logits.permute(0, 2, 1).view(b, 2, h, h), size=size, mode="bilinear", align_corners=True)
        maps.append(torch.softmax(logits, dim=1)[:, 1, :, :].cpu().numpy())
    anomaly_map = np.sum(maps, axis=0)[0]
    return {
        "score": score,
        "map": anomaly_map,
        "image_features": image_features[0],
        "tokens": [t[0] for t in patch_tokens],
        "projected": [p[0] for p in projected],
    }


def zero_shot(clip, adapter, pixels, text, layers):
    """Zero-shot scoring of one preprocessed image [1, 3, S, S]."""
    image_features, patch_tokens = encode(clip, pixels, layers)
    return zero_shot_from_encoding(adapter, image_features, patch_tokens, text, pixels.shape[-1])


@torch.no_grad()
def memory_bank(clip, shots, layers):
    """The official memory(): per few-shot layer, the shots' tapped tokens without the class token, concatenated."""
    per_shot = []
    for pixels in shots:
        _, patch_tokens = clip.encode_image(pixels, layers)
        per_shot.append([p[0, 1:, :] for p in patch_tokens])
    return [torch.cat([shot[i] for shot in per_shot], dim=0) for i in range(len(layers))]


def _cosine_similarity(x, y):
    """sklearn.metrics.pairwise.cosine_similarity (float32 rows L2-normalised, then X @ Y.T)."""
    x = x / x.norm(dim=-1, keepdim=True)
    y = y / y.norm(dim=-1, keepdim=True)
    return x @ y.T


@torch.no_grad()
def few_shot_map(clip, pixels, memory, layers):
    """test.py's few-shot part: per layer min over the memory of 1 - cos, upsampled, summed over layers [S, S]."""
    size = pixels.shape[-1]
    _, patch_tokens = clip.encode_image(pixels, layers)
    maps = []
    for index, p in enumerate(patch_tokens):
        cos = _cosine_similarity(memory[index], p[0, 1:, :]).numpy()
        height = int(np.sqrt(cos.shape[1]))
        m = np.min((1 - cos), 0).reshape(1, 1, height, height)
        m = F.interpolate(torch.tensor(m), size=size, mode="bilinear", align_corners=True)
        maps.append(m[0].cpu().numpy())
    return np.sum(maps, axis=0)[0]
