// Adam with torch.optim.Adam semantics (no weight decay, no amsgrad): bias-corrected, eps added after sqrt(v_hat).

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
}

/** The reference's optimiser: Adam(lr=1e-3, betas=(0.5, 0.999)), eps 1e-8. */
export const APRIL_GAN_ADAM: Required<AdamOptions> = { lr: 1e-3, betas: [0.5, 0.999], eps: 1e-8 };

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Number of steps taken. */
  t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  /** `params` are updated in place (float32, like torch parameters). */
  constructor(
    readonly params: Float32Array[],
    o: AdamOptions = {},
  ) {
    this.lr = o.lr ?? APRIL_GAN_ADAM.lr;
    [this.beta1, this.beta2] = o.betas ?? APRIL_GAN_ADAM.betas;
    this.eps = o.eps ?? APRIL_GAN_ADAM.eps;
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /**
   * torch's _single_tensor_adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
   * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
   */
  step(grads: readonly ArrayLike<number>[]): void {
    if (grads.length !== this.params.length) throw new RangeError(`${grads.length} gradients for ${this.params.length} parameters`);
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = this.lr / (1 - b1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!;
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      if (g.length !== p.length) throw new RangeError(`gradient ${k} has ${g.length} values for ${p.length} parameters`);
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    }
  }
}

/** The adapter's parameters in the order the optimiser sees them: weight 0, bias 0, weight 1, ... */
export function adapterParameterList(weights: readonly Float32Array[], biases: readonly Float32Array[]): Float32Array[] {
  return weights.flatMap((w, i) => [w, biases[i]!]);
}
