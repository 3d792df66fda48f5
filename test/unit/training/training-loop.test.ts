// Training plumbing: the epoch loop lowers the loss, the feature cache round-trips in memory and on disk, init/file.
import { describe, expect, it } from "vitest";
import { parseSafetensors } from "../../../src/compiler/checkpoint/safetensors";
import { AdapterObjective, type TrainSample } from "../../../src/training/adapter-objective";
import { adapterFileBytes, initAdapterParams } from "../../../src/training/adapter-params";
import { FeatureCache } from "../../../src/training/feature-cache";
import { createRng } from "../../../src/training/prng";
import { trainAdapter, type SampleSource } from "../../../src/training/train-loop";
import { randomArray } from "./gradcheck";

const [G, S, W, E] = [4, 16, 6, 5];

/** Abnormal patches carry a feature direction the normal ones lack; masks mark them at S x S. */
function samples(count: number): TrainSample[] {
  const text = Float32Array.from(randomArray(2 * E, 99, 0.4));
  return Array.from({ length: count }, (_, k) => {
    const tokens = [Float32Array.from(randomArray(G * G * W, 10 + k, 0.3))];
    const mask = new Uint8Array(S * S);
    const bad = k % 2 === 0 ? [k % (G * G)] : [];
    for (const p of bad) {
      tokens[0]![p * W] = 3; // the defect direction
      const [gy, gx] = [Math.floor(p / G), p % G];
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) if (Math.round((y * (G - 1)) / (S - 1)) === gy && Math.round((x * (G - 1)) / (S - 1)) === gx) mask[y * S + x] = 1;
    }
    return { tokens, text, mask: bad.length ? mask : null };
  });
}

describe("trainAdapter", () => {
  it("lowers the loss over epochs and reports every epoch", () => {
    const data = samples(6);
    const source: SampleSource = { count: data.length, get: (i) => data[i]! };
    const params = initAdapterParams(1, W, E, createRng(1));
    const seen: number[] = [];
    const reports = trainAdapter(new AdapterObjective(G, S, W, E), params, source, {
      epochs: 30,
      batchSize: 4,
      adam: { lr: 1e-2 },
      rng: createRng(2),
      onEpoch: (r) => seen.push(r.epoch),
    });
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(reports[0]!.batches).toBe(2);
    expect(reports.at(-1)!.loss).toBeLessThan(0.7 * reports[0]!.loss);
  });
});

describe("FeatureCache", () => {
  for (const budget of [1e9, 0]) {
    it(`round-trips samples ${budget ? "in memory" : "through a temporary file"}`, () => {
      const data = samples(3);
      const cache = new FeatureCache({ layers: 1, floatsPerLayer: G * G * W, expected: 3, memoryBudget: budget });
      try {
        expect(cache.onDisk).toBe(budget === 0);
        for (const s of data) cache.add(s);
        expect(cache.count).toBe(3);
        for (const i of [2, 0, 1]) {
          const got = cache.get(i);
          expect(got.tokens[0]).toEqual(data[i]!.tokens[0]);
          expect(got.mask).toBe(data[i]!.mask);
        }
        expect(() => cache.add({ ...data[0]!, tokens: [new Float32Array(3)] })).toThrow(RangeError);
      } finally {
        cache.close();
      }
    });
  }
});

describe("adapter parameters", () => {
  it("initialise like nn.Linear and serialise to the fc.{i} safetensors layout", () => {
    const p = initAdapterParams(2, 64, 8, createRng(5));
    expect(p.weights.every((w) => w.every((v) => Math.abs(v) <= 1 / 8))).toBe(true);
    const parsed = parseSafetensors(adapterFileBytes(p));
    expect([...parsed.keys()].sort()).toEqual(["fc.0.bias", "fc.0.weight", "fc.1.bias", "fc.1.weight"]);
    expect(parsed.get("fc.1.weight")!.shape).toEqual([8, 64]);
    expect(parsed.get("fc.1.weight")!.data).toEqual(p.weights[1]);
  });
});
