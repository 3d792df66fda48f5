// Reference only (tests): an independent float64 forward pass of the CLIP image and text towers from a ClipCheckpoint.
import type { Activation, Adapters, ClipCheckpoint, LayerNormWeights, ResidualBlock, Tensor } from "../../src/compiler/checkpoint/clip-checkpoint";

/**
 * erf to ~1e-16: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n x (2x^2)^n / (1*3*...*(2n+1)).
 * Every term is positive (no cancellation), so the series is accurate for all |x| < 6; beyond, erf = +-1 in float64.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  const twoX2 = 2 * a * a;
  let term = a;
  let sum = a;
  for (let n = 1; n < 1000; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
  return x < 0 ? -r : r;
}

function activate(x: number, kind: Activation): number {
  if (kind === "quick_gelu") return x / (1 + Math.exp(-1.702 * x));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** Row-wise LayerNorm of x [rows, width] (biased variance, like torch). */
export function layerNormRows(x: Float64Array, rows: number, width: number, ln: LayerNormWeights, eps: number): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[o + i]!;
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += (x[o + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = (x[o + i]! - mean) * inv * ln.weight.data[i]! + ln.bias.data[i]!;
  }
  return out;
}

/** x [rows, in] @ W^T + b with W [out, in] (torch Linear), rows of W taken from `rowStart`. */
export function linearRows(x: Float64Array, rows: number, w: Tensor, b?: Tensor, rowStart = 0, outDim = w.shape[0]!): Float64Array {
  const inDim = w.shape[1]!;
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const wo = (rowStart + o) * inDim;
      let acc = b ? b.data[rowStart + o]! : 0;
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i]! * w.data[wo + i]!;
      out[r * outDim + o] = acc;
    }
  }
  return out;
}

/** x [rows, in] @ P with P [in, out] (CLIP's proj / text_projection). */
function matmulRows(x: Float64Array, rows: number, p: Tensor): Float64Array {
  const [inDim, outDim] = p.shape as [number, number];
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inDim; i++) {
      const xi = x[r * inDim + i]!;
      for (let o = 0; o < outDim; o++) out[r * outDim + o] += xi * p.data[i * outDim + o]!;
    }
  }
  return out;
}

/** Every row divided by its L2 norm. */
export function normalizeRows(x: Float64Array, rows: number): Float64Array {
  const width = x.length / rows;
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let i = 0; i < width; i++) sq += x[r * width + i]! ** 2;
    const n = Math.sqrt(sq);
    for (let i = 0; i < width; i++) out[r * width + i] = x[r * width + i]! / n;
  }
  return out;
}

interface BlockContext {
  width: number;
  heads: number;
  eps: number;
  activation: Activation;
  causal: boolean;
}

/** Multi-head self-attention on h [rows, width]: q, k, v from the packed in_proj rows, softmax(q k^T / sqrt(d)) v. */
function attention(h: Float64Array, rows: number, blk: ResidualBlock, c: BlockContext): Float64Array {
  const { width, heads } = c;
  const d = width / heads;
  const q = linearRows(h, rows, blk.inProjWeight, blk.inProjBias, 0, width);
  const k = linearRows(h, rows, blk.inProjWeight, blk.inProjBias, width, width);
  const v = linearRows(h, rows, blk.inProjWeight, blk.inProjBias, 2 * width, width);
  const merged = new Float64Array(rows * width);
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(rows);
  for (let hd = 0; hd < heads; hd++) {
    const off = hd * d;
    for (let i = 0; i < rows; i++) {
      const last = c.causal ? i : rows - 1;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += q[i * width + off + t]! * k[j * width + off + t]!;
        scores[j] = s * scale;
        if (scores[j]! > max) max = scores[j]!;
      }
      let total = 0;
      for (let j = 0; j <= last; j++) total += scores[j] = Math.exp(scores[j]! - max);
      for (let j = 0; j <= last; j++) {
        const p = scores[j]! / total;
        for (let t = 0; t < d; t++) merged[i * width + off + t] += p * v[j * width + off + t]!;
      }
    }
  }
  return linearRows(merged, rows, blk.outProjWeight, blk.outProjBias);
}

/** x + attn(ln_1(x)), then + c_proj(act(c_fc(ln_2(.)))). Returns a new array. */
function residualBlock(x: Float64Array, rows: number, blk: ResidualBlock, c: BlockContext): Float64Array {
  const a = attention(layerNormRows(x, rows, c.width, blk.ln1, c.eps), rows, blk, c);
  const x1 = x.map((val, i) => val + a[i]!);
  const fc = linearRows(layerNormRows(x1, rows, c.width, blk.ln2, c.eps), rows, blk.fcWeight, blk.fcBias);
  for (let i = 0; i < fc.length; i++) fc[i] = activate(fc[i]!, c.activation);
  const m = linearRows(fc, rows, blk.projWeight, blk.projBias);
  return x1.map((val, i) => val + m[i]!);
}

/** APRIL-GAN adapter: fc(tokens) then L2-normalised rows. tokens [rows, width] -> [rows, embedDim]. */
export function adapterProjection(tokens: Float64Array, rows: number, weight: Tensor, bias: Tensor): Float64Array {
  return normalizeRows(linearRows(tokens, rows, weight, bias), rows);
}

/** The compiler's fallback without adapters: ln_post(tokens) @ proj, L2-normalised rows. */
export function clipProjection(ckpt: ClipCheckpoint, tokens: Float64Array, rows: number): Float64Array {
  const v = ckpt.vision;
  return normalizeRows(matmulRows(layerNormRows(tokens, rows, v.width, v.lnPost, ckpt.layerNormEps), rows, v.proj), rows);
}

export interface ImageReferenceOptions {
  /** Serving size (default the checkpoint's); a different grid needs `positionalEmbedding` resized to it. */
  imageSize?: number;
  positionalEmbedding?: Tensor;
  /** 1-indexed blocks whose raw residual tokens are returned. */
  taps?: number[];
  /** 1-indexed blocks whose patch tokens are projected (adapter i for the i-th entry, else clip-projection). */
  projected?: number[];
  adapters?: Adapters;
}

export interface ImageReference {
  imageFeatures: Float64Array;
  tokens: Map<number, Float64Array>;
  projected: Map<number, Float64Array>;
}

/** One image, pixels [3, S, S] already normalised. */
export function clipImageReference(ckpt: ClipCheckpoint, pixels: Float32Array, o: ImageReferenceOptions = {}): ImageReference {
  const v = ckpt.vision;
  const size = o.imageSize ?? v.imageSize;
  const P = v.patchSize;
  const G = size / P;
  const W = v.width;
  const rows = 1 + G * G;
  if (pixels.length !== 3 * size * size) throw new RangeError(`pixels are not [3, ${size}, ${size}]`);
  const pos = o.positionalEmbedding ?? v.positionalEmbedding;
  if (pos.data.length !== rows * W) throw new RangeError(`positional embedding is not [${rows}, ${W}]`);

  let x: Float64Array = new Float64Array(rows * W);
  for (let c = 0; c < W; c++) x[c] = v.classEmbedding.data[c]!;
  for (let gy = 0; gy < G; gy++) {
    for (let gx = 0; gx < G; gx++) {
      const row = 1 + gy * G + gx;
      for (let oc = 0; oc < W; oc++) {
        let acc = 0;
        for (let ch = 0; ch < 3; ch++) {
          for (let ky = 0; ky < P; ky++) {
            for (let kx = 0; kx < P; kx++) {
              const wv = v.convWeight.data[((oc * 3 + ch) * P + ky) * P + kx]!;
              acc += wv * pixels[(ch * size + gy * P + ky) * size + gx * P + kx]!;
            }
          }
        }
        x[row * W + oc] = acc;
      }
    }
  }
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + pos.data[i]!;
  x = layerNormRows(x, rows, W, v.lnPre, ckpt.layerNormEps);

  const ctx: BlockContext = { width: W, heads: v.heads, eps: ckpt.layerNormEps, activation: ckpt.activation, causal: false };
  const tokens = new Map<number, Float64Array>();
  const projected = new Map<number, Float64Array>();
  const projectedLayers = o.projected ?? [];
  for (let i = 0; i < v.layers; i++) {
    x = residualBlock(x, rows, v.blocks[i]!, ctx);
    const layer = i + 1;
    if (o.taps?.includes(layer)) tokens.set(layer, x.slice());
    const a = projectedLayers.indexOf(layer);
    if (a >= 0) {
      const patches = x.subarray(W);
      projected.set(
        layer,
        o.adapters ? adapterProjection(patches, G * G, o.adapters.weights[a]!, o.adapters.biases[a]!) : clipProjection(ckpt, patches, G * G),
      );
    }
  }
  const pooled = layerNormRows(x.subarray(0, W), 1, W, v.lnPost, ckpt.layerNormEps);
  return { imageFeatures: normalizeRows(matmulRows(pooled, 1, v.proj), 1), tokens, projected };
}

/** One token-id row (any length; CLIP pads to 77): causal blocks, ln_final, the argmax-id row @ text_projection. */
export function clipTextReference(ckpt: ClipCheckpoint, ids: ArrayLike<number>): Float64Array {
  const t = ckpt.text;
  const W = t.width;
  const rows = ids.length;
  let x: Float64Array = new Float64Array(rows * W);
  for (let r = 0; r < rows; r++) {
    const id = ids[r]!;
    for (let c = 0; c < W; c++) x[r * W + c] = t.tokenEmbedding.data[id * W + c]! + t.positionalEmbedding.data[r * W + c]!;
  }
  const ctx: BlockContext = { width: W, heads: t.heads, eps: ckpt.layerNormEps, activation: ckpt.activation, causal: true };
  for (const blk of t.blocks) x = residualBlock(x, rows, blk, ctx);
  x = layerNormRows(x, rows, W, t.lnFinal, ckpt.layerNormEps);
  let eot = 0;
  for (let r = 1; r < rows; r++) if (ids[r]! > ids[eot]!) eot = r;
  return normalizeRows(matmulRows(x.subarray(eot * W, (eot + 1) * W), 1, t.textProjection), 1);
}
