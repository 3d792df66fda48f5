// The CLIP image tower on the engine's kernels, from a bundle's image graph weights (int8-dynamic blocks): patch
// embedding (fp32, the graph's Conv as a GEMM over unfolded patches), class token + positions, ln_pre, the blocks,
// taps, the zero-shot layers' projections and the pooled, projected, L2-normalised image features. The same class
// runs one stage of a staged bundle (a contiguous block range, from its stage graph's weights).
import type { ServedManifest } from "../runtime/bundle-manifest";
import type { ImageEncoding } from "../runtime/clip-encoders";
import type { Int8Gemm } from "./int8-gemm";
import { InitializerSet, readInitializers } from "./onnx-initializers";
import { allocVitBlockBuffers, type QuantizedLinear, VitBlock, type VitBlockWeights } from "./vit-block";

interface Fp32Linear {
  K: number;
  N: number;
  w: number;
  bias: number;
}

interface Projection {
  layer: number;
  /** ln_post weights (clip-projection) or none (adapter) */
  ln?: { gamma: number; beta: number };
  linear: Fp32Linear;
}

/** What a run of the encoder's blocks gives: the residual stream for the next stage, or the image features at the end. */
export interface BlockRangeOutputs {
  /** [1 + G², W] after the range's last block; absent when the range ends the tower. */
  residual?: Float32Array;
  /** [E], L2-normalised; only when the range ends the tower. */
  imageFeatures?: Float32Array;
  /** Taps of the range's zero-shot and few-shot layers, [1 + G², W] (class token first). */
  tokens: Map<number, Float32Array>;
  /** The range's zero-shot layers projected, [G², E], L2-normalised rows. */
  projected: Map<number, Float32Array>;
}

/** Which of a range's outputs to copy out of kernel memory (each tap is a [1 + G², W] copy). */
export interface WantedOutputs {
  tokens: boolean;
  projected: boolean;
}

/** `pos`: the positions [1 + G²][W] in kernel memory. */
type Embedding = { patch: Fp32Linear; cls: Float32Array; pos: number; lnPre: { gamma: number; beta: number } };

export class WasmImageEncoder {
  private constructor(
    private readonly g: Int8Gemm,
    private readonly m: ServedManifest,
    /** Blocks [from, to) of the tower; the embedding only when from = 0, the pooling only when to = layers. */
    readonly range: readonly [number, number],
    private readonly embed: Embedding | undefined,
    private readonly blocks: VitBlock[],
    private readonly projections: Projection[],
    private readonly pool: { ln: { gamma: number; beta: number }; proj: Fp32Linear } | undefined,
    private readonly buf: { pixels: number; unfolded: number; x: number; h: number; tokens: number; projected: number; pooled: number; features: number },
  ) {}

  /**
   * Packs the weights of a bundle's image graph (`graph` + its external data `weights`) into the kernel memory once.
   * With `range`, only blocks [from, to) from a stage graph holding them (and the embedding when from = 0, ln_post
   * and proj when to is the last block). Only the int8-dynamic scheme's blocks are implemented.
   */
  static create(g: Int8Gemm, m: ServedManifest, graph: Uint8Array, weights: Uint8Array, range?: readonly [number, number]): WasmImageEncoder {
    if (m.quantization !== "int8-dynamic") throw new Error(`the wasm engine runs int8-dynamic bundles, not ${m.quantization}`);
    const init = new InitializerSet(readInitializers(graph, weights));
    const v = m.architecture.vision;
    const [from, to] = range ?? [0, v.layers];
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= v.layers)) {
      throw new RangeError(`block range [${from}, ${to}) is not within the tower's ${v.layers} blocks`);
    }
    const last = to === v.layers;
    const W = v.width;
    const P = v.patchSize;
    const G = m.grid;
    const T = 1 + G * G;
    const E = m.architecture.embedDim;
    if (W % 4 !== 0 || E % 4 !== 0) throw new Error(`width ${W} and embedDim ${E} must be multiples of 4`);
    const ln = (name: string) => ({ gamma: g.floats(init.floats(`${name}.weight`, W)), beta: g.floats(init.floats(`${name}.bias`, W)) });
    const fp32 = (w: Float32Array, K: number, N: number, bias?: Float32Array): Fp32Linear => ({ K, N, w: g.packF32(w, K, N), bias: bias ? g.floats(bias) : 0 });

    const K = 3 * P * P;
    let embed: Embedding | undefined;
    if (from === 0) {
      // Conv weight [W][3][P][P] -> [3·P·P][W], the GEMM's [K][N].
      const conv = init.floats("visual.conv1.weight", W * K);
      const convT = new Float32Array(K * W);
      for (let o = 0; o < W; o++) for (let k = 0; k < K; k++) convT[k * W + o] = conv[o * K + k]!;
      embed = {
        patch: fp32(convT, K, W),
        cls: init.floats("visual.class_embedding", W),
        pos: g.floats(init.floats("visual.positional_embedding", T * W)),
        lnPre: ln("visual.ln_pre"),
      };
    }

    const mlp = init.dims(`visual.transformer.resblocks.${from}.mlp.c_fc.weight_q`)[1]!;
    const shared = allocVitBlockBuffers(g, W, mlp, T);
    const blocks: VitBlock[] = [];
    for (let i = from; i < to; i++) blocks.push(VitBlock.create(g, blockWeights(init, `visual.transformer.resblocks.${i}`, m), T, shared));

    const visualProj = () => init.floats("visual.proj", W * E);
    let proj: Fp32Linear | undefined;
    const projOnce = () => {
      proj ??= fp32(visualProj(), W, E);
      return proj;
    };
    const inRange = (layer: number) => layer > from && layer <= to;
    const projections: Projection[] = m.layers.zeroShot.flatMap((layer, a) => {
      if (!inRange(layer)) return [];
      return m.projection === "adapter"
        ? {
            layer,
            linear: fp32(
              init.floats(`adapter.fc.${a}.weight_t`, W * E),
              W,
              E,
              init.has(`adapter.fc.${a}.bias`) ? init.floats(`adapter.fc.${a}.bias`, E) : undefined,
            ),
          }
        : { layer, ln: ln(`projection.ln_post.${layer}`), linear: projOnce() };
    });
    const pool = last ? { ln: ln("visual.ln_post"), proj: projOnce() } : undefined;

    const buf = {
      pixels: embed ? g.alloc(3 * m.imageSize * m.imageSize * 4) : 0,
      unfolded: embed ? g.alloc(G * G * K * 4) : 0,
      x: g.alloc(T * W * 4),
      h: g.alloc(T * W * 4),
      tokens: g.alloc(T * W * 4),
      projected: g.alloc(G * G * E * 4),
      pooled: g.alloc(W * 4),
      features: g.alloc(E * 4),
    };
    return new WasmImageEncoder(g, m, [from, to], embed, blocks, projections, pool, buf);
  }

  /** Which int8 kernel runs the blocks. */
  get kind(): Int8Gemm["kind"] {
    return this.g.kind;
  }

  /** The kernel's per-op timing (benchmarks); see Int8Gemm.profile. */
  get profile(): Int8Gemm["profile"] {
    return this.g.profile;
  }

  set profile(p: Int8Gemm["profile"]) {
    this.g.profile = p;
  }

  /** Bytes of the kernel's linear memory (weights, activations and scratch). */
  get memoryBytes(): number {
    return this.g.memoryBytes;
  }

  /** pixels [3][S][S] (normalised) -> the same ImageEncoding as the bundle's image graph gives (whole tower only). */
  encode(pixels: Float32Array): ImageEncoding {
    if (!this.embed || !this.pool) throw new Error(`this encoder runs blocks [${this.range.join(", ")}) of the tower, not the whole image graph`);
    const out = this.run(pixels, { tokens: true, projected: true });
    return { imageFeatures: out.imageFeatures!, tokens: out.tokens, projected: out.projected };
  }

  /**
   * The range's blocks on `input`: pixels [3][S][S] when the range starts the tower, else the residual stream
   * [1 + G², W] the previous range returned; the same values as the stage graph of that block range gives.
   */
  run(input: Float32Array, wanted: WantedOutputs): BlockRangeOutputs {
    const { g, m, buf } = this;
    const W = m.architecture.vision.width;
    const E = m.architecture.embedDim;
    const G = m.grid;
    const T = 1 + G * G;
    const eps = m.architecture.layerNormEps;
    if (this.embed) this.embedPixels(input, this.embed);
    else {
      if (input.length !== T * W) throw new Error(`residual stream: ${input.length} values, expected ${T}x${W}`);
      g.write(buf.x, input);
    }

    const from = this.range[0];
    const tapped = new Set([...m.layers.zeroShot, ...m.layers.fewShot]);
    const tokens = new Map<number, Float32Array>();
    const projected = new Map<number, Float32Array>();
    for (const [i, block] of this.blocks.entries()) {
      block.runAt(buf.x, T, buf.x);
      const layer = from + i + 1;
      if (wanted.tokens && tapped.has(layer))
        tokens.set(
          layer,
          g.timed("read taps (JS)", () => g.read(buf.x, T * W)),
        );
      if (!wanted.projected) continue;
      for (const p of this.projections) {
        if (p.layer !== layer) continue;
        const patches = buf.x + W * 4;
        let input = patches;
        if (p.ln) {
          g.layerNormAt(patches, G * G, W, p.ln.gamma, p.ln.beta, eps, buf.tokens);
          input = buf.tokens;
        }
        g.linearF32At(input, G * G, W, p.linear.w, E, p.linear.bias, buf.projected);
        g.l2NormalizeRowsAt(buf.projected, G * G, E);
        projected.set(
          layer,
          g.timed("read projections (JS)", () => g.read(buf.projected, G * G * E)),
        );
      }
    }
    if (!this.pool) return { residual: g.read(buf.x, T * W), tokens, projected };
    g.layerNormAt(buf.x, 1, W, this.pool.ln.gamma, this.pool.ln.beta, eps, buf.pooled);
    g.linearF32At(buf.pooled, 1, W, this.pool.proj.w, E, 0, buf.features);
    g.l2NormalizeRowsAt(buf.features, 1, E);
    return { imageFeatures: g.read(buf.features, E), tokens, projected };
  }

  /** Patch embedding, class token, positions and ln_pre into buf.x. */
  private embedPixels(pixels: Float32Array, embed: Embedding): void {
    const { g, m, buf } = this;
    const S = m.imageSize;
    const P = m.architecture.vision.patchSize;
    const W = m.architecture.vision.width;
    const G = m.grid;
    const T = 1 + G * G;
    if (pixels.length !== 3 * S * S) throw new Error(`pixels: ${pixels.length} values, expected 3x${S}x${S}`);

    // Unfolded in kernel memory, and the class token and positions added there: no per-image JS arrays.
    g.timed("write pixels (JS)", () => g.write(buf.pixels, pixels));
    g.unfoldPatchesAt(buf.pixels, S, P, G, buf.unfolded);
    // Patch tokens into rows 1.., then class token in row 0, then + positions.
    g.linearF32At(buf.unfolded, G * G, 3 * P * P, embed.patch.w, W, 0, buf.h + W * 4);
    g.timed("class token (JS)", () => g.view(buf.h, W).set(embed.cls));
    g.addAt(buf.h, embed.pos, T * W, "positions");
    g.layerNormAt(buf.h, T, W, embed.lnPre.gamma, embed.lnPre.beta, m.architecture.layerNormEps, buf.x);
  }
}

/** An int8-dynamic linear layer of the graph, or the column-wise concatenation of several (head chunks). */
function quantizedLinear(init: InitializerSet, names: string[]): QuantizedLinear {
  const parts = names.map((n) => {
    const [inputs, outputs] = init.dims(`${n}.weight_q`) as [number, number];
    return {
      inputs,
      outputs,
      weights: init.int8s(`${n}.weight_q`, inputs * outputs),
      scales: init.floats(`${n}.weight_scale`, outputs),
      bias: init.floats(`${n}.bias`, outputs),
    };
  });
  // packLinear copies the weights into kernel memory: a view into the weights file is enough.
  if (parts.length === 1) return parts[0]!;
  const inputs = parts[0]!.inputs;
  const outputs = parts.reduce((s, p) => s + p.outputs, 0);
  const weights = new Int8Array(inputs * outputs);
  for (let k = 0; k < inputs; k++) {
    let at = k * outputs;
    for (const p of parts) {
      weights.set(p.weights.subarray(k * p.outputs, (k + 1) * p.outputs), at);
      at += p.outputs;
    }
  }
  const cat = (f: (p: (typeof parts)[number]) => Float32Array) => {
    const out = new Float32Array(outputs);
    let at = 0;
    for (const p of parts) {
      out.set(f(p), at);
      at += p.outputs;
    }
    return out;
  };
  return { inputs, outputs, weights, scales: cat((p) => p.scales), bias: cat((p) => p.bias) };
}

/** The names of q, k or v: one layer `attn.q`, or one per head chunk `attn.heads{first}.q` in head order. */
function projectionNames(init: InitializerSet, name: string, which: "q" | "k" | "v", heads: number): string[] {
  if (init.has(`${name}.attn.${which}.weight_q`)) return [`${name}.attn.${which}`];
  const names: string[] = [];
  for (let first = 0; first < heads; first++) if (init.has(`${name}.attn.heads${first}.${which}.weight_q`)) names.push(`${name}.attn.heads${first}.${which}`);
  if (names.length === 0) throw new Error(`onnx: no ${which} projection for ${name}`);
  return names;
}

function blockWeights(init: InitializerSet, name: string, m: ServedManifest): VitBlockWeights {
  const { width, heads } = m.architecture.vision;
  const ln = (n: string) => ({ weight: init.floats(`${name}.${n}.weight`, width), bias: init.floats(`${name}.${n}.bias`, width) });
  return {
    width,
    heads,
    eps: m.architecture.layerNormEps,
    activation: m.architecture.activation,
    ln1: ln("ln_1"),
    ln2: ln("ln_2"),
    qkv: quantizedLinear(
      init,
      ["q", "k", "v"].flatMap((w) => projectionNames(init, name, w as "q", heads)),
    ),
    outProj: quantizedLinear(init, [`${name}.attn.out_proj`]),
    fc: quantizedLinear(init, [`${name}.mlp.c_fc`]),
    proj: quantizedLinear(init, [`${name}.mlp.c_proj`]),
  };
}
