// Input and output names of the bundle's ONNX graphs: the contract between the compiler and the runtime.

export const imageGraphNames = {
  pixels: "pixels",
  features: "image_features",
  tokens: (layer: number) => `tokens_layer${layer}`,
  projected: (layer: number) => `projected_layer${layer}`,
  /** The residual stream [batch, 1+G², W] after `blocks` blocks: what one image-tower stage hands to the next. */
  residual: (blocks: number) => `residual_block${blocks}`,
};

/** Prompt sentences per run of a whole text tower (encodeTexts). */
export const TEXT_BATCH_SIZE = 35;
/**
 * Prompt sentences per run of a staged text tower; the compiler sizes text stages for it at the full context length
 * (ViT-B-16's text blocks at 35 x 77 tokens would need 85 MB of activations; at 8, 19 MB).
 */
export const TEXT_STAGE_BATCH_SIZE = 8;

export const textGraphNames = {
  tokens: "tokens",
  /** Stage 0 of a text tower in stages: the token embedding rows [batch, seq, width] float32, gathered by the stage. */
  tokenEmbeddings: "token_embeddings",
  features: "text_features",
  /** Residual stream [batch, seq, width] after `blocks` text blocks: what one text stage hands the next. */
  residual: (blocks: number) => `text_residual_block${blocks}`,
} as const;

export const fewShotHeadNames = { query: "query_tokens", memory: "memory_bank", distance: "min_distance" } as const;
