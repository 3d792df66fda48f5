// CLIP's pre-LN residual blocks as ONNX nodes, shared by the image and text towers.
import type { Activation, LayerNormWeights, ResidualBlock, Tensor } from "../checkpoint/clip-checkpoint";
import type { GraphBuilder } from "./graph-builder";
import { linear, linearLayer, type QuantScheme } from "./linear";

export interface BlockOptions {
  width: number;
  heads: number;
  eps: number;
  activation: Activation;
  quant: QuantScheme;
  /** Additive attention mask [seq, seq] (the text tower's causal mask), or none. */
  attentionMask?: string;
  /**
   * Heads per attention chunk: scores and softmax are computed for this many heads at a time, then concatenated,
   * so ORT holds [chunk, seq, seq] instead of [heads, seq, seq] (README, "Stages"). Default: all heads at once.
   */
  headsPerChunk?: number;
  /**
   * Query rows per attention chunk (a static sequence length is needed): within a chunk of heads, scores and softmax
   * are computed for this many query rows at a time, so ORT holds [chunk, rows, seq]. Default: every row at once.
   */
  attentionRowChunk?: { rows: number; seq: number };
  /**
   * The MLP in row chunks of this many tokens (a static sequence length is needed): it acts on each token alone, so
   * ORT holds [chunk, mlpWidth] hidden activations instead of [seq, mlpWidth]. Default: all tokens at once.
   */
  mlpRowChunk?: { rows: number; seq: number };
}

export function layerNorm(g: GraphBuilder, x: string, ln: LayerNormWeights, name: string, eps: number): string {
  const w = g.floats(`${name}.weight`, ln.weight.shape, ln.weight.data);
  const b = g.floats(`${name}.bias`, ln.bias.shape, ln.bias.data);
  return g.op("LayerNormalization", [x, w, b], { axis: -1, epsilon: { float: eps } });
}

function activation(g: GraphBuilder, x: string, kind: Activation): string {
  if (kind === "quick_gelu") {
    return g.op("Mul", [x, g.op("Sigmoid", [g.op("Mul", [x, constant(g, "quick_gelu_k", 1.702)])])]);
  }
  // erf GELU: 0.5 * x * (1 + erf(x / sqrt 2)); ORT fuses this pattern into its Gelu kernel.
  const erf = g.op("Erf", [g.op("Div", [x, constant(g, "sqrt2", Math.SQRT2)])]);
  const onePlus = g.op("Add", [erf, constant(g, "one", 1)]);
  return g.op("Mul", [g.op("Mul", [x, onePlus]), constant(g, "half", 0.5)]);
}

const constants = new WeakMap<GraphBuilder, Map<string, string>>();

/** One shared scalar initializer per (graph, name). */
export function constant(g: GraphBuilder, name: string, value: number): string {
  let m = constants.get(g);
  if (!m) {
    m = new Map();
    constants.set(g, m);
  }
  let c = m.get(name);
  if (!c) {
    c = g.scalar(`f32_${name}`, value);
    m.set(name, c);
  }
  return c;
}

export function int64Constant(g: GraphBuilder, name: string, values: number[]): string {
  const key = `${name}:${values.join(",")}`;
  let m = constants.get(g);
  if (!m) {
    m = new Map();
    constants.set(g, m);
  }
  let c = m.get(key);
  if (!c) {
    c = g.int64s(`i64_${name}`, values);
    m.set(key, c);
  }
  return c;
}

function sliceRows(t: Tensor, start: number, count: number): Tensor {
  const cols = t.shape.length > 1 ? t.shape[1]! : 1;
  const shape = t.shape.length > 1 ? [count, cols] : [count];
  return { shape, data: t.data.subarray(start * cols, (start + count) * cols) };
}

/** x: [batch, seq, width] -> x + attn(ln1(x)) + mlp(...), as in open_clip's ResidualAttentionBlock. */
export function residualBlock(g: GraphBuilder, x: string, block: ResidualBlock, name: string, o: BlockOptions): string {
  const headDim = o.width / o.heads;
  const h = layerNorm(g, x, block.ln1, `${name}.ln_1`, o.eps);
  // rows [i * width + from, ... + count) of the packed q/k/v projection: heads [from / headDim, ...) of q, k or v
  const split = (i: number, from = 0, count = o.width) => ({
    weight: sliceRows(block.inProjWeight, i * o.width + from, count),
    bias: sliceRows(block.inProjBias, i * o.width + from, count),
  });
  // torch scales q by 1/sqrt(head_dim) after the projection; folding it into W_q and b_q is the same product.
  const qScale = 1 / Math.sqrt(headDim);
  // node order as earlier builds wrote it (q, k, scores, softmax, then v): same bytes, same modelHash
  const attendRows = (qc: string, kc: string, vc: () => string) => {
    let scores = g.op("MatMul", [qc, kc]);
    if (o.attentionMask) scores = g.op("Add", [scores, o.attentionMask]);
    const probabilities = g.op("Softmax", [scores], { axis: -1 });
    return g.op("MatMul", [probabilities, vc()]);
  };
  const rowChunk = o.attentionRowChunk;
  const attend = (qc: string, kc: string, vc: () => string) => {
    if (!rowChunk || rowChunk.rows >= rowChunk.seq) return attendRows(qc, kc, vc);
    if (o.attentionMask) throw new Error("attention row chunks take no attention mask (its rows would need slicing too)");
    // Each query row attends on its own, so row chunks of q against all keys give the same rows as one product.
    const v = vc();
    const axis = int64Constant(g, "axis2", [2]);
    const parts: string[] = [];
    for (let from = 0; from < rowChunk.seq; from += rowChunk.rows) {
      const to = Math.min(from + rowChunk.rows, rowChunk.seq);
      const rows = g.op("Slice", [qc, int64Constant(g, `row_from_${from}`, [from]), int64Constant(g, `row_to_${to}`, [to]), axis]);
      parts.push(attendRows(rows, kc, () => v));
    }
    return g.op("Concat", parts, { axis: 2 });
  };
  const toHeads = (t: string, count: number, perm: number[]) =>
    g.op("Transpose", [g.op("Reshape", [t, int64Constant(g, count === o.heads ? "heads_shape" : `heads_shape_${count}`, [0, 0, count, headDim])])], { perm });
  const headChunk = o.headsPerChunk ?? o.heads;
  let merged: string;
  if (headChunk >= o.heads) {
    const q = linear(g, h, split(0), `${name}.attn.q`, o.quant, qScale);
    const k = linear(g, h, split(1), `${name}.attn.k`, o.quant);
    const v = linear(g, h, split(2), `${name}.attn.v`, o.quant);
    const attn = attend(toHeads(q, o.heads, [0, 2, 1, 3]), toHeads(k, o.heads, [0, 2, 3, 1]), () => toHeads(v, o.heads, [0, 2, 1, 3]));
    merged = g.op("Reshape", [g.op("Transpose", [attn], { perm: [0, 2, 1, 3] }), int64Constant(g, "merge_shape", [0, 0, o.width])]);
  } else {
    // Each chunk of heads projects its own q/k/v columns, so no [seq, width] q/k/v or their transposes are held.
    // Each chunk's output goes back to token-major rows before the concatenation ([1, seq, count * headDim]; one
    // head's is a reshape), so the merged [1, seq, width] is the concatenation itself, without a transposed copy of it.
    const parts: string[] = [];
    for (let first = 0; first < o.heads; first += headChunk) {
      const count = Math.min(headChunk, o.heads - first);
      const rows = [first * headDim, count * headDim] as const;
      const part = `${name}.attn.heads${first}`;
      const q = linear(g, h, split(0, ...rows), `${part}.q`, o.quant, qScale);
      const k = linear(g, h, split(1, ...rows), `${part}.k`, o.quant);
      const v = linear(g, h, split(2, ...rows), `${part}.v`, o.quant);
      const heads = attend(toHeads(q, count, [0, 2, 1, 3]), toHeads(k, count, [0, 2, 3, 1]), () => toHeads(v, count, [0, 2, 1, 3]));
      const tokenMajor = count === 1 ? heads : g.op("Transpose", [heads], { perm: [0, 2, 1, 3] });
      parts.push(g.op("Reshape", [tokenMajor, int64Constant(g, `merge_shape_${count}`, [0, -1, count * headDim])]));
    }
    merged = g.op("Concat", parts, { axis: 2 });
  }
  const attnOut = linear(g, merged, { weight: block.outProjWeight, bias: block.outProjBias }, `${name}.attn.out_proj`, o.quant);
  const x1 = g.op("Add", [x, attnOut]);
  const h2 = layerNorm(g, x1, block.ln2, `${name}.ln_2`, o.eps);
  const fcWeights = { weight: block.fcWeight, bias: block.fcBias };
  const projWeights = { weight: block.projWeight, bias: block.projBias };
  const chunk = o.mlpRowChunk;
  if (!chunk || chunk.rows >= chunk.seq) {
    const fc = linear(g, h2, fcWeights, `${name}.mlp.c_fc`, o.quant);
    return g.op("Add", [x1, linear(g, activation(g, fc, o.activation), projWeights, `${name}.mlp.c_proj`, o.quant)]);
  }
  const fc = linearLayer(g, fcWeights, `${name}.mlp.c_fc`, o.quant);
  const proj = linearLayer(g, projWeights, `${name}.mlp.c_proj`, o.quant);
  // The residual is added chunk by chunk (the same sums), so x1 and h2 are spent before the concatenation: it then
  // holds the parts and its output, not those beside the stream and the sum as well.
  const parts: string[] = [];
  const axis = int64Constant(g, "axis1", [1]);
  for (let from = 0; from < chunk.seq; from += chunk.rows) {
    const to = Math.min(from + chunk.rows, chunk.seq);
    const slice = (t: string) => g.op("Slice", [t, int64Constant(g, `row_from_${from}`, [from]), int64Constant(g, `row_to_${to}`, [to]), axis]);
    const y = proj(activation(g, fc(slice(h2)), o.activation));
    parts.push(g.op("Add", [slice(x1), y]));
  }
  return g.op("Concat", parts, { axis: 1 });
}

/** Row-wise L2 normalisation over the last axis. */
export function l2Normalize(g: GraphBuilder, x: string): string {
  return g.op("Div", [x, g.op("ReduceL2", [x], { axes: [-1], keepdims: 1 })]);
}
