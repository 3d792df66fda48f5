"""open_clip's CLIP (VisionTransformer + text Transformer) as the official APRIL-GAN copy of open_clip defines it.

Module names and parameter shapes follow open_clip, so an open_clip state dict loads with strict=True. Blocks run in
open_clip's sequence-first layout through nn.MultiheadAttention, like the official code. The image tower's forward
takes the tapped layers (1-indexed) and returns (pooled @ proj, [residual stream after each tapped block]), which is
the official repository's modification of open_clip's VisionTransformer.
"""
import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm(nn.LayerNorm):
    """open_clip's LayerNorm: computes in the input's dtype's float32 and casts back (a no-op in fp32)."""

    def forward(self, x):
        orig_type = x.dtype
        x = F.layer_norm(x.to(torch.float32), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.to(orig_type)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head, mlp_ratio, act_layer):
        super().__init__()
        self.ln_1 = LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_2 = LayerNorm(d_model)
        mlp_width = int(d_model * mlp_ratio)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ("c_fc", nn.Linear(d_model, mlp_width)),
                    ("gelu", act_layer()),
                    ("c_proj", nn.Linear(mlp_width, d_model)),
                ]
            )
        )

    def forward(self, x, attn_mask=None):
        y = self.ln_1(x)  # one tensor as query, key and value: nn.MultiheadAttention then runs the packed in_proj
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=attn_mask)[0]
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio, act_layer):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads, mlp_ratio, act_layer) for _ in range(layers)])

    def forward(self, x, attn_mask=None):
        for r in self.resblocks:
            x = r(x, attn_mask=attn_mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, width, layers, heads, mlp_ratio, output_dim, act_layer):
        super().__init__()
        self.grid_size = image_size // patch_size
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid_size**2 + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, mlp_ratio, act_layer)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x, out_layers):
        x = self.conv1(x)  # [B, width, grid, grid]
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # [B, grid*grid, width], row-major patches
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([cls, x], dim=1)
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = x.permute(1, 0, 2)  # NLD -> LND
        taps = []
        for index, block in enumerate(self.transformer.resblocks, start=1):
            x = block(x)
            if index in out_layers:
                taps.append(x)
        x = x.permute(1, 0, 2)
        patch_tokens = [t.permute(1, 0, 2) for t in taps]
        pooled = self.ln_post(x[:, 0, :])
        return pooled @ self.proj, patch_tokens


class CLIP(nn.Module):
    def __init__(self, embed_dim, vision_cfg, text_cfg, quick_gelu, image_size):
        super().__init__()
        act_layer = QuickGELU if quick_gelu else nn.GELU
        self.visual = VisionTransformer(
            image_size=image_size,
            patch_size=vision_cfg["patch_size"],
            width=vision_cfg["width"],
            layers=vision_cfg["layers"],
            heads=vision_cfg["width"] // vision_cfg.get("head_width", 64),
            mlp_ratio=vision_cfg.get("mlp_ratio", 4.0),
            output_dim=embed_dim,
            act_layer=act_layer,
        )
        context_length = text_cfg.get("context_length", 77)
        text_width = text_cfg.get("width", 512)
        self.transformer = Transformer(
            text_width, text_cfg.get("layers", 12), text_cfg.get("heads", 8), text_cfg.get("mlp_ratio", 4.0), act_layer
        )
        self.vocab_size = text_cfg.get("vocab_size", 49408)
        self.token_embedding = nn.Embedding(self.vocab_size, text_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, text_width))
        self.ln_final = LayerNorm(text_width)
        self.text_projection = nn.Parameter(torch.empty(text_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        mask = torch.empty(context_length, context_length)
        mask.fill_(float("-inf"))
        mask.triu_(1)
        self.register_buffer("attn_mask", mask, persistent=False)

    def encode_image(self, image, out_layers):
        return self.visual(image, out_layers)

    def encode_text(self, text):
        x = self.token_embedding(text)
        x = x + self.positional_embedding
        x = x.permute(1, 0, 2)
        x = self.transformer(x, attn_mask=self.attn_mask)
        x = x.permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


def resize_pos_embed(state_dict, model):
    """open_clip's resize_pos_embed: the grid part bicubic with antialias=True, align_corners=False; class row kept."""
    old = state_dict.get("visual.positional_embedding")
    grid = model.visual.grid_size
    if old is None or old.shape[0] == grid * grid + 1:
        return
    tok, img = old[:1], old[1:]
    old_grid = int(math.sqrt(len(img)))
    img = img.reshape(1, old_grid, old_grid, -1).permute(0, 3, 1, 2)
    img = F.interpolate(img, size=(grid, grid), mode="bicubic", antialias=True, align_corners=False)
    img = img.permute(0, 2, 3, 1).reshape(1, grid * grid, -1)[0]
    state_dict["visual.positional_embedding"] = torch.cat([tok, img], dim=0)


def build_clip(model_cfg, state_dict, image_size):
    """An eval-mode fp32 CLIP at image_size from open_clip's model_cfg and state dict (resized positions if needed)."""
    model = CLIP(
        embed_dim=model_cfg["embed_dim"],
        vision_cfg=model_cfg["vision_cfg"],
        text_cfg=model_cfg["text_cfg"],
        quick_gelu=model_cfg.get("quick_gelu", False),
        image_size=image_size,
    )
    state_dict = dict(state_dict)
    resize_pos_embed(state_dict, model)
    # logit_scale is not used by the method, and checkpoints generated for speed runs omit it; every other key must match
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = [k for k in missing if k != "logit_scale"]
    if missing or unexpected:
        raise RuntimeError(f"checkpoint does not match the open_clip layout: missing {missing}, unexpected {unexpected}")
    return model.eval()
