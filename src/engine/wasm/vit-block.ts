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

export class VitBlock {
  private constructor(
    private readonly g: Int8Gemm,
    private readonly w: { width: number; heads: number; eps: number; act: ActivationId },
    private readonly ln: { g1: number; b1: number; g2: number; b2: number },
    private readonly layers: { qkv: PackedLinear; outProj: PackedLinear; fc: PackedLinear; proj: PackedLinear },
    private readonly buf: { x: number; h: number; qkv: number; attn: number; x1: number; mlp: number; out: number },
    readonly maxTokens: number,
  ) {}

  static create(g: Int8Gemm, w: VitBlockWeights, maxTokens: number): VitBlock {
    const W = w.width;
    if (W % 4 !== 0) throw new Error(`width ${W} is not a multiple of 4`);
    const floats = (a: Float32Array) => {
      const at = g.alloc(a.length * 4);
      g.write(at, a);
      return at;
    };
    const pack = (l: QuantizedLinear) => g.packLinear(l.weights, l.inputs, l.outputs, l.scales, l.bias);
    const ln = { g1: floats(w.ln1.weight), b1: floats(w.ln1.bias), g2: floats(w.ln2.weight), b2: floats(w.ln2.bias) };
    const layers = { qkv: pack(w.qkv), outProj: pack(w.outProj), fc: pack(w.fc), proj: pack(w.proj) };
    const M = maxTokens;
    const buf = {
      x: g.alloc(M * W * 4),
      h: g.alloc(M * W * 4),
      qkv: g.alloc(M * 3 * W * 4),
      attn: g.alloc(M * W * 4),
      x1: g.alloc(M * W * 4),
      mlp: g.alloc(M * w.fc.outputs * 4),
      out: g.alloc(M * W * 4),
    };
    const act = w.activation === "gelu" ? Activation.gelu : Activation.quickGelu;
    return new VitBlock(g, { width: W, heads: w.heads, eps: w.eps, act }, ln, layers, buf, maxTokens);
  }

  /** x [M][W] -> the block's output [M][W]. */
  run(x: Float32Array, M: number): Float32Array {
    const { width: W } = this.w;
    if (M > this.maxTokens || x.length !== M * W) throw new Error(`block: ${x.length} values for ${M} tokens of width ${W} (at most ${this.maxTokens})`);
    const { g, buf, ln, layers } = this;
    g.write(buf.x, x);
    g.layerNormAt(buf.x, M, W, ln.g1, ln.b1, this.w.eps, buf.h);
    g.linearAt(buf.h, M, layers.qkv, buf.qkv);
    g.attentionAt(buf.qkv, M, W, this.w.heads, buf.attn);
    g.linearAt(buf.attn, M, layers.outProj, buf.x1, Activation.none, buf.x);
    g.layerNormAt(buf.x1, M, W, ln.g2, ln.b2, this.w.eps, buf.h);
    g.linearAt(buf.h, M, layers.fc, buf.mlp, this.w.act);
    g.linearAt(buf.mlp, M, layers.proj, buf.out, Activation.none, buf.x1);
    return g.read(buf.out, M * W);
  }
}
