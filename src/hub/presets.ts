// Named settings for model:fetch: a Hub repo and the serving settings the paper uses with it.

export interface FetchPreset {
  repo: string;
  imageSize: number;
  /** Zero-shot (and few-shot) layers; default: the quarter points of the depth. */
  layers?: number[];
  description: string;
}

export const FETCH_PRESETS: Readonly<Record<string, FetchPreset>> = {
  "april-gan-vitl14-336": {
    repo: "openai/clip-vit-large-patch14-336",
    imageSize: 518,
    layers: [6, 12, 18, 24],
    description: "OpenAI CLIP ViT-L/14-336 served at 518 with layers 6,12,18,24, as APRIL-GAN (use with the official adapter .pth)",
  },
  vitb16: {
    repo: "openai/clip-vit-base-patch16",
    imageSize: 224,
    description: "OpenAI CLIP ViT-B/16 at 224, layers 3,6,9,12",
  },
};
