// The epoch loop: seeded shuffles, mini-batches of cached features, Adam on the summed focal + dice loss.
import { Adam, adapterParameterList, type AdamOptions } from "./adam";
import type { AdapterObjective, AdapterParams, TrainSample } from "./adapter-objective";
import { permutation, type Rng } from "./prng";

/** Random access to the training samples (frozen features), e.g. a FeatureCache. */
export interface SampleSource {
  readonly count: number;
  get(index: number): TrainSample;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Mean of the batch losses, as the reference logs it. */
  loss: number;
  batches: number;
  seconds: number;
}

export interface TrainLoopOptions {
  epochs: number;
  batchSize: number;
  adam?: AdamOptions;
  rng: Rng;
  onEpoch?: (report: EpochReport) => void;
}

/** Trains `params` in place; batches are drawn from a fresh permutation every epoch (the last one may be short). */
export function trainAdapter(objective: AdapterObjective, params: AdapterParams, samples: SampleSource, o: TrainLoopOptions): EpochReport[] {
  if (samples.count === 0) throw new Error("no training samples");
  if (!(o.batchSize >= 1)) throw new RangeError(`batch size must be >= 1, got ${o.batchSize}`);
  const adam = new Adam(adapterParameterList(params.weights, params.biases), o.adam);
  const reports: EpochReport[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const started = performance.now();
    const order = permutation(samples.count, o.rng);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += o.batchSize) {
      const batch: TrainSample[] = [];
      for (let k = start; k < Math.min(order.length, start + o.batchSize); k++) batch.push(samples.get(order[k]!));
      const r = objective.lossAndGradients(params, batch);
      adam.step(r.gradWeights.flatMap((g, i) => [g, r.gradBiases[i]!]));
      lossSum += r.loss;
      batches++;
    }
    const report = { epoch, epochs: o.epochs, loss: lossSum / batches, batches, seconds: (performance.now() - started) / 1000 };
    reports.push(report);
    o.onEpoch?.(report);
  }
  return reports;
}
