"""The official test's image transform (open_clip's eval transform with Resize((S, S)), as APRIL-GAN sets it)."""
import numpy as np
import torch
from PIL import Image

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def decode_image(path):
    """PIL open + load: the decode the official dataset's Image.open triggers in its first transform."""
    image = Image.open(path)
    image.load()
    return image


def preprocess(image, size, mean=OPENAI_MEAN, std=OPENAI_STD):
    """Resize((S, S), BICUBIC) -> CenterCrop(S) (no-op) -> convert('RGB') -> ToTensor -> Normalize: [1, 3, S, S]."""
    image = image.resize((size, size), Image.BICUBIC)  # torchvision's Resize on a PIL image calls this
    image = image.convert("RGB")
    pixels = torch.from_numpy(np.array(image, np.uint8, copy=True))
    pixels = pixels.view(size, size, 3).permute((2, 0, 1)).contiguous().to(torch.float32).div(255)
    pixels.sub_(torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1))
    pixels.div_(torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1))
    return pixels.unsqueeze(0)
