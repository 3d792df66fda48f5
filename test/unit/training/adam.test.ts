// Adam against a hand computation of torch.optim.Adam (bias correction, eps after sqrt(v_hat)).
import { describe, expect, it } from "vitest";
import { Adam, APRIL_GAN_ADAM, adapterParameterList } from "../../../src/training/adam";

describe("Adam", () => {
  it("defaults to the reference's lr 1e-3, betas (0.5, 0.999), eps 1e-8", () => {
    const a = new Adam([new Float32Array(1)]);
    expect([a.lr, a.beta1, a.beta2, a.eps]).toEqual([1e-3, 0.5, 0.999, 1e-8]);
    expect(APRIL_GAN_ADAM.betas).toEqual([0.5, 0.999]);
  });

  it("first step moves each parameter by lr * g / (|g| + eps)", () => {
    const p = Float32Array.of(1, -2, 0.5);
    const adam = new Adam([p]);
    adam.step([[0.2, -3, 1e-8]]);
    expect(p[0]).toBeCloseTo(1 - 1e-3 * (0.2 / (0.2 + 1e-8)), 7);
    expect(p[1]).toBeCloseTo(-2 + 1e-3 * (3 / (3 + 1e-8)), 7);
    expect(p[2]).toBeCloseTo(0.5 - 1e-3 * 0.5, 7); // g = eps: half a step
  });

  it("two steps match the hand computation", () => {
    const lr = 0.01;
    const [b1, b2, eps] = [0.5, 0.999, 1e-8];
    const p = Float32Array.of(0.3);
    const adam = new Adam([p], { lr });
    const g1 = 0.4;
    const g2 = -0.1;
    adam.step([[g1]]);
    adam.step([[g2]]);
    let w = 0.3;
    let m = (1 - b1) * g1;
    let v = (1 - b2) * g1 * g1;
    w -= ((lr / (1 - b1)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2) + eps);
    m = b1 * m + (1 - b1) * g2;
    v = b2 * v + (1 - b2) * g2 * g2;
    w -= ((lr / (1 - b1 ** 2)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** 2) + eps);
    expect(adam.t).toBe(2);
    expect(p[0]).toBeCloseTo(w, 7);
    // by hand: step 1 moves by lr exactly; then m = 0.05, v = 0.999 * 0.00016 + 0.001 * 0.01, bias-corrected
    expect(w).toBeCloseTo(0.3 - 0.01 - ((0.01 / 0.75) * 0.05) / (Math.sqrt(0.999 * 0.00016 + 0.001 * 0.01) / Math.sqrt(1 - 0.999 ** 2)), 9);
  });

  it("orders adapter parameters weight, bias per layer and rejects mismatched gradients", () => {
    const w = [new Float32Array(2), new Float32Array(2)];
    const b = [new Float32Array(1), new Float32Array(1)];
    expect(adapterParameterList(w, b)).toEqual([w[0], b[0], w[1], b[1]]);
    expect(() => new Adam([new Float32Array(2)]).step([[1]])).toThrow(RangeError);
  });
});
