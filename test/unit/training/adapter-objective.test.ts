// The whole training objective: hand-computable loss, agreement with the serving maps, end-to-end gradient check.
import { describe, expect, it } from "vitest";
import { zeroShotMap } from "../../../src/engine/anomaly/zero-shot";
import { AdapterObjective, type AdapterWeights, type TrainSample } from "../../../src/training/adapter-objective";
import { maxGradError, randomArray } from "./gradcheck";

const [G, S, W, E] = [3, 7, 5, 4];
const N = S * S;
const f32 = (a: Float64Array) => Float32Array.from(a);
const mask = Uint8Array.from({ length: N }, (_, i) => (i % S < 3 && i < 3 * S ? 1 : 0)); // a 3 x 3 corner

function batchOf(seed: number): TrainSample[] {
  return [
    { tokens: [f32(randomArray(G * G * W, seed)), f32(randomArray(G * G * W, seed + 1))], text: f32(randomArray(2 * E, seed + 2, 0.05)), mask },
    { tokens: [f32(randomArray(G * G * W, seed + 3)), f32(randomArray(G * G * W, seed + 4))], text: f32(randomArray(2 * E, seed + 5, 0.05)), mask: null },
  ];
}

describe("AdapterObjective", () => {
  it("gives the hand-computed loss when every pixel has p = 0.5", () => {
    // zero weights: every token projects to its bias (1, 0, 0, 0); both text columns score it 0.3 -> equal logits
    const params: AdapterWeights = {
      weights: [new Float32Array(E * W), new Float32Array(E * W)],
      biases: [Float32Array.of(1, 0, 0, 0), Float32Array.of(2, 0, 0, 0)],
    };
    const text = Float32Array.of(0.3, 0.3, 1, 0, 0, 1, 0, 0);
    const tokens = [f32(randomArray(G * G * W, 1)), f32(randomArray(G * G * W, 2))];
    const batch: TrainSample[] = [
      { tokens, text, mask },
      { tokens, text, mask: null },
    ];
    const obj = new AdapterObjective(G, S, W, E);
    const r = obj.lossAndGradients(params, batch);
    const pt = Math.fround(0.99999) * 0.5 + Math.fround(1e-5) * 0.5 + 1e-5;
    const focal = -((1 - pt) ** 2) * Math.log(pt);
    const k = 9;
    const dice = 1 - ((k + 1) / (0.5 * N + k + 1) + 1 / (0.5 * N + 1)) / 2;
    expect(r.focal[0]).toBeCloseTo(focal, 12);
    expect(r.dice[1]).toBeCloseTo(dice, 12);
    expect(r.loss).toBeCloseTo(2 * (focal + dice), 12);
    for (const m of obj.maps(params, batch[0]!)) expect(m.every((v) => Math.abs(v - 0.5) < 1e-7)).toBe(true);
  });

  it("maps' abnormal channel summed over layers is the serving zero-shot map", () => {
    const batch = batchOf(10);
    const params = { weights: [f32(randomArray(E * W, 20)), f32(randomArray(E * W, 21))], biases: [f32(randomArray(E, 22)), f32(randomArray(E, 23))] };
    const maps = new AdapterObjective(G, S, W, E).maps(params, batch[0]!);
    // the serving path: projected = normalise(fc(tokens)), then zeroShotMap
    const projected = params.weights.map((w, l) => {
      const x = batch[0]!.tokens[l]!;
      const out = new Float32Array(G * G * E);
      for (let p = 0; p < G * G; p++) {
        let norm = 0;
        const z = Array.from({ length: E }, (_, e) => {
          let s = params.biases[l]![e]!;
          for (let i = 0; i < W; i++) s += x[p * W + i]! * w[e * W + i]!;
          norm += s * s;
          return s;
        });
        z.forEach((v, e) => {
          out[p * E + e] = v / Math.sqrt(norm);
        });
      }
      return out;
    });
    const serving = zeroShotMap(projected, batch[0]!.text, G, S);
    for (let i = 0; i < N; i++) expect(maps[0]![N + i]! + maps[1]![N + i]!).toBeCloseTo(serving[i]!, 5);
  });

  it("weight and bias gradients of the summed focal + dice loss match finite differences", () => {
    const batch = batchOf(30);
    const params = {
      weights: [randomArray(E * W, 40, 0.5), randomArray(E * W, 41, 0.5)],
      biases: [randomArray(E, 42, 0.5), randomArray(E, 43, 0.5)],
    };
    const obj = new AdapterObjective(G, S, W, E);
    const r = obj.lossAndGradients(params, batch);
    const loss = () => obj.lossAndGradients(params, batch, false).loss;
    expect(loss()).toBe(r.loss);
    for (let l = 0; l < 2; l++) {
      expect(maxGradError(loss, params.weights[l]!, r.gradWeights[l]!, 1e-6)).toBeLessThan(1e-6);
      expect(maxGradError(loss, params.biases[l]!, r.gradBiases[l]!, 1e-6)).toBeLessThan(1e-6);
    }
    expect(Math.max(...r.gradWeights[0]!.map(Math.abs))).toBeGreaterThan(1e-4); // not vacuous
  });

  it("rejects inputs of the wrong shape", () => {
    const obj = new AdapterObjective(G, S, W, E);
    const params = { weights: [new Float32Array(E * W)], biases: [new Float32Array(E)] };
    const bad: TrainSample = { tokens: [new Float32Array(3)], text: new Float32Array(2 * E), mask: null };
    expect(() => obj.lossAndGradients(params, [bad])).toThrow(RangeError);
    expect(() => obj.lossAndGradients(params, [])).toThrow(RangeError);
  });
});
