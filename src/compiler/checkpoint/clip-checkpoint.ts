// The one in-memory form of a CLIP checkpoint; every on-disk layout (open_clip, Hugging Face) maps into it.

/** A dense fp32 tensor, row-major. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export type Activation = "gelu" | "quick_gelu";

export interface LayerNormWeights {
  weight: Tensor; // [width]
  bias: Tensor; // [width]
}

/** One pre-LN residual block: x += attn(ln1(x)); x += mlp(ln2(x)). Linear weights are [out, in] like torch. */
export interface ResidualBlock {
  ln1: LayerNormWeights;
  inProjWeight: Tensor; // [3*width, width], rows q, k, v
  inProjBias: Tensor; // [3*width]
  outProjWeight: Tensor; // [width, width]
  outProjBias: Tensor; // [width]
  ln2: LayerNormWeights;
  fcWeight: Tensor; // [mlpWidth, width]
  fcBias: Tensor; // [mlpWidth]
  projWeight: Tensor; // [width, mlpWidth]
  projBias: Tensor; // [width]
}

export interface VisionTower {
  imageSize: number; // the size the checkpoint was trained at
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  convWeight: Tensor; // [width, 3, patch, patch], no bias
  classEmbedding: Tensor; // [width]
  positionalEmbedding: Tensor; // [1 + grid*grid, width], class position first
  lnPre: LayerNormWeights;
  blocks: ResidualBlock[];
  lnPost: LayerNormWeights;
  proj: Tensor; // [width, embedDim]  (x @ proj)
}

export interface TextTower {
  contextLength: number; // 77
  vocabSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  tokenEmbedding: Tensor; // [vocabSize, width]
  positionalEmbedding: Tensor; // [contextLength, width]
  blocks: ResidualBlock[];
  lnFinal: LayerNormWeights;
  textProjection: Tensor; // [width, embedDim]  (x @ textProjection)
}

export interface ClipCheckpoint {
  embedDim: number;
  activation: Activation;
  layerNormEps: number;
  vision: VisionTower;
  text: TextTower;
  mean: [number, number, number];
  std: [number, number, number];
  /** Where it came from, for the bundle manifest: layout name and file names. */
  source: { layout: "open_clip" | "hf" | "random"; files: string[] };
}

/** APRIL-GAN linear adapters, one per tapped layer, in the order of the tapped layers. */
export interface Adapters {
  weights: Tensor[]; // each [embedDim, width]
  biases: Tensor[]; // each [embedDim]
}

export const OPENAI_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const OPENAI_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
