// Input and output names of the bundle's ONNX graphs: the contract between the compiler and the runtime.

export const imageGraphNames = {
  pixels: "pixels",
  features: "image_features",
  tokens: (layer: number) => `tokens_layer${layer}`,
  projected: (layer: number) => `projected_layer${layer}`,
  /** The residual stream [batch, 1+G², W] after `blocks` blocks: what one image-tower stage hands to the next. */
  residual: (blocks: number) => `residual_block${blocks}`,
};

export const textGraphNames = { tokens: "tokens", features: "text_features" } as const;

export const fewShotHeadNames = { query: "query_tokens", memory: "memory_bank", distance: "min_distance" } as const;
