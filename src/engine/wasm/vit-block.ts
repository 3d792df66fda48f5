// One pre-LN CLIP ViT residual block on the engine's kernels, as open_clip's ResidualAttentionBlock:
// x + attn(ln_1(x)), then + mlp(ln_2(...)); int8 linear layers, fp32 LayerNorm/attention/softmax.
import { Activation, type ActivationId, type Int8Gemm, type PackedLinear } from "./int8-gemm";

/** An int8 linear layer as the bundle's int8-dynamic scheme stores it: int8 [in][out], per-out scales, fp32 bias. */
export interface QuantizedLinear {
  weights: Int8Array;
  inputs: number;
  outputs: number;
  scales: Float32Array;
  bias: Float32Array;
}

export interface VitBlockWeights {
  width: number;
  heads: number;
  eps: number;
  activation: "gelu" | "quick_gelu";
  ln1: { weight: Float32Array; bias: Float32Array };
  ln2: { weight: Float32Array; bias: Float32Array };
  /** q, k and v side by side ([W][3W]), q's weights and bias already scaled by 1/sqrt(head size). */
  qkv: QuantizedLinear;
  outProj: QuantizedLinear;
  fc: QuantizedLinear;
  proj: QuantizedLinear;
}

/** The activations of a block in kernel memory; blocks of one width run one after another and can share them. */
export interface VitBlockBuffers {
  x: number;
  h: number;
  qkv: number;
  attn: number;
  x1: number;
  mlp: number;
  out: number;
}

export function allocVitBlockBuffers(g: Int8Gemm, width: number, mlpWidth: number, maxTokens: number): VitBlockBuffers {
  const row = maxTokens * 4;
  return {
    x: g.alloc(row * width),
    h: g.alloc(row * width),
    qkv: g.alloc(row * 3 * width),
    attn: g.alloc(row * width),
    x1: g.alloc(row * width),
    mlp: g.alloc(row * mlpWidth),
    out: g.alloc(row * width),
  };
}

export class VitBlock {
  private constructor(
    private readonly g: Int8Gemm,
    private readonly w: { width: number; heads: number; eps: number; act: ActivationId },
    private readonly ln: { g1: number; b1: number; g2: number; b2: number },
    private readonly layers: { qkv: PackedLinear; outProj: PackedLinear; fc: PackedLinear; proj: PackedLinear },
    private readonly buf: VitBlockBuffers,
    readonly maxTokens: number,
  ) {}

  /** `buffers`: shared activations (allocVitBlockBuffers with this width, MLP width and token count); default own. */
  static create(g: Int8Gemm, w: VitBlockWeights, maxTokens: number, buffers?: VitBlockBuffers): VitBlock {
    const W = w.width;
    if (W % 4 !== 0) throw new Error(`width ${W} is not a multiple of 4`);
    const floats = (a: Float32Array) => g.floats(a);
    const pack = (l: QuantizedLinear) => g.packLinear(l.weights, l.inputs, l.outputs, l.scales, l.bias);
    const ln = { g1: floats(w.ln1.weight), b1: floats(w.ln1.bias), g2: floats(w.ln2.weight), b2: floats(w.ln2.bias) };
    const layers = { qkv: pack(w.qkv), outProj: pack(w.outProj), fc: pack(w.fc), proj: pack(w.proj) };
    const buf = buffers ?? allocVitBlockBuffers(g, W, w.fc.outputs, maxTokens);
    const act = w.activation === "gelu" ? Activation.gelu : Activation.quickGelu;
    return new VitBlock(g, { width: W, heads: w.heads, eps: w.eps, act }, ln, layers, buf, maxTokens);
  }

  /** x [M][W] -> the block's output [M][W]. */
  run(x: Float32Array, M: number): Float32Array {
    const { width: W } = this.w;
    if (M > this.maxTokens || x.length !== M * W) throw new Error(`block: ${x.length} values for ${M} tokens of width ${W} (at most ${this.maxTokens})`);
    this.g.write(this.buf.x, x);
    this.runAt(this.buf.x, M, this.buf.out);
    return this.g.read(this.buf.out, M * W);
  }

  /** As `run` on kernel memory: x [M][W] at `x` -> `out`, which may be `x` (x is not read after out_proj). */
  runAt(x: number, M: number, out: number): void {
    const { width: W } = this.w;
    if (M > this.maxTokens) throw new Error(`block: ${M} tokens (at most ${this.maxTokens})`);
    const { g, buf, ln, layers } = this;
    const { eps, act } = this.w;
    if (g.quantizesPerRow) {
      // the LayerNorms and the MLP's activation write quantized rows for the next GEMM, not fp32 tensors: same values
      g.linearQuantizedAt(g.layerNormQuantizedAt(x, M, W, ln.g1, ln.b1, eps), layers.qkv, buf.qkv);
      g.attentionAt(buf.qkv, M, W, this.w.heads, buf.attn);
      g.linearAt(buf.attn, M, layers.outProj, buf.x1, Activation.none, x);
      g.linearQuantizedAt(g.layerNormQuantizedAt(buf.x1, M, W, ln.g2, ln.b2, eps), layers.fc, buf.mlp);
      g.linearQuantizedAt(g.activateQuantizedAt(buf.mlp, M, layers.fc.N, act), layers.proj, out, Activation.none, buf.x1);
      return;
    }
    g.layerNormAt(x, M, W, ln.g1, ln.b1, eps, buf.h);
    g.linearAt(buf.h, M, layers.qkv, buf.qkv);
    g.attentionAt(buf.qkv, M, W, this.w.heads, buf.attn);
    g.linearAt(buf.attn, M, layers.outProj, buf.x1, Activation.none, x);
    g.layerNormAt(buf.x1, M, W, ln.g2, ln.b2, eps, buf.h);
    g.linearAt(buf.h, M, layers.fc, buf.mlp, act);
    g.linearAt(buf.mlp, M, layers.proj, out, Activation.none, buf.x1);
  }
}
