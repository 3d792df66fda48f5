// The training objective: APRIL-GAN adapter maps of a batch, the summed focal + dice loss, and its gradients.
import { diceCoefficient, focalLoss } from "./losses";
import { softmax2Backward, softmax2Forward, upsampleBackward, upsampleForward, upsamplePlan, type UpsamplePlan } from "./pixel-ops";
import { linearBackward, linearForward, normalizeRowsBackward, normalizeRowsForward, textLogitsBackward, textLogitsForward, type Floats } from "./token-ops";

/** The method's logit scale: anomaly_map = 100 * tokens @ text_features. */
export const LOGIT_SCALE = 100;

/** One linear adapter per tapped layer: weights[i] [embedDim, width], biases[i] [embedDim]. */
export interface AdapterParams {
  width: number;
  embedDim: number;
  weights: Float32Array[];
  biases: Float32Array[];
}

/** Read-only view of adapter weights (float64 allowed, e.g. for gradient checks). */
export interface AdapterWeights {
  weights: readonly Floats[];
  biases: readonly Floats[];
}

/** One training image: patch tokens per layer [G*G, width] (class token removed), its class text features, mask. */
export interface TrainSample {
  tokens: Float32Array[];
  /** [embedDim, 2], column 0 normal, 1 abnormal. */
  text: Float32Array;
  /** 0/1 [S*S], null for an all-normal image. */
  mask: Uint8Array | null;
}

export interface BatchResult {
  loss: number;
  /** Per layer: the focal term and the dice term (the reference's per_layer_focal_dice, pairwise). */
  focal: number[];
  dice: number[];
  gradWeights: Float64Array[];
  gradBiases: Float64Array[];
}

/** Holds the work buffers for one geometry (grid G, map size S, width, embedDim) so no step allocates per pixel. */
export class AdapterObjective {
  readonly patches: number;
  readonly pixels: number;
  private readonly plan: UpsamplePlan;
  private readonly z: Float64Array;
  private readonly u: Float64Array;
  private readonly norms: Float64Array;
  private readonly logits: Float64Array;
  private readonly up: Float64Array;
  private readonly probs: Float64Array;
  private readonly gProbs: Float64Array;

  constructor(
    readonly grid: number,
    readonly size: number,
    readonly width: number,
    readonly embedDim: number,
  ) {
    this.patches = grid * grid;
    this.pixels = size * size;
    this.plan = upsamplePlan(grid, size);
    this.z = new Float64Array(this.patches * embedDim);
    this.u = new Float64Array(this.patches * embedDim);
    this.norms = new Float64Array(this.patches);
    this.logits = new Float64Array(2 * this.patches);
    this.up = new Float64Array(2 * this.pixels);
    this.probs = new Float64Array(2 * this.pixels);
    this.gProbs = new Float64Array(2 * this.pixels);
  }

  /** Forward of one layer of one sample into this.probs [2, S, S]. */
  private forward(params: AdapterWeights, layer: number, sample: TrainSample): void {
    const { patches: p, embedDim: e, width: w } = this;
    const tokens = sample.tokens[layer]!;
    if (tokens.length !== p * w) throw new RangeError(`layer ${layer}: ${tokens.length} token values, expected ${p} x ${w}`);
    if (sample.text.length !== 2 * e) throw new RangeError(`text features have ${sample.text.length} values, expected ${e} x 2`);
    linearForward(tokens, params.weights[layer]!, params.biases[layer]!, p, w, e, this.z);
    normalizeRowsForward(this.z, p, e, this.u, this.norms);
    textLogitsForward(this.u, sample.text, p, e, LOGIT_SCALE, this.logits);
    upsampleForward(this.plan, this.logits, 2, this.up);
    softmax2Forward(this.up, this.pixels, this.probs);
  }

  /** The training-time maps of one sample: per layer the softmax [2, S, S] (channel 1 abnormal). */
  maps(params: AdapterWeights, sample: TrainSample): Float32Array[] {
    return params.weights.map((_, layer) => {
      this.forward(params, layer, sample);
      return Float32Array.from(this.probs);
    });
  }

  /** Loss of the batch (sum over layers of focal + dice) and, unless `withGradients` is false, its gradients. */
  lossAndGradients(params: AdapterWeights, batch: readonly TrainSample[], withGradients = true): BatchResult {
    const layers = params.weights.length;
    const { patches: p, embedDim: e, width: w, pixels: n } = this;
    const b = batch.length;
    if (b === 0) throw new RangeError("empty batch");
    const focal = new Array<number>(layers).fill(0);
    const dice = new Array<number>(layers).fill(0);
    const gradWeights = params.weights.map((t) => new Float64Array(t.length));
    const gradBiases = params.biases.map((t) => new Float64Array(t.length));
    const focalScale = 1 / (b * n);
    for (let layer = 0; layer < layers; layer++) {
      let diceSum = 0;
      for (const sample of batch) {
        if (sample.mask !== null && sample.mask.length !== n) throw new RangeError(`mask has ${sample.mask.length} values, expected ${n}`);
        this.forward(params, layer, sample);
        const g = withGradients ? this.gProbs : undefined;
        g?.fill(0);
        focal[layer] += focalLoss(this.probs, sample.mask, n, focalScale, g);
        diceSum += diceCoefficient(this.probs, sample.mask, n, g, -1 / b);
        if (!g) continue;
        softmax2Backward(this.probs, g, n, this.up);
        upsampleBackward(this.plan, this.up, 2, this.logits);
        textLogitsBackward(this.logits, sample.text, p, e, LOGIT_SCALE, this.z);
        normalizeRowsBackward(this.u, this.norms, this.z, p, e, this.z);
        linearBackward(sample.tokens[layer]!, this.z, p, w, e, gradWeights[layer]!, gradBiases[layer]!);
      }
      dice[layer] = 1 - diceSum / b;
    }
    let loss = 0;
    for (let layer = 0; layer < layers; layer++) loss += focal[layer]! + dice[layer]!;
    return { loss, focal, dice, gradWeights, gradBiases };
  }
}
