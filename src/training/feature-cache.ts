// Frozen-encoder features of the training set, kept in memory or, past a budget, in a temporary file (Node).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrainSample } from "./adapter-objective";
import type { SampleSource } from "./train-loop";

export interface FeatureCacheOptions {
  /** Tapped layers, and the floats per layer of one image (G*G * width). */
  layers: number;
  floatsPerLayer: number;
  /** Number of samples that will be added (to choose memory or disk up front). */
  expected: number;
  /** Largest token store kept in memory, in bytes. */
  memoryBudget: number;
}

/** Append-only store of samples: tokens in memory or in a temp file; text features and masks always in memory. */
export class FeatureCache implements SampleSource {
  private readonly memory: Float32Array[][] = [];
  private readonly meta: { text: Float32Array; mask: Uint8Array | null }[] = [];
  private fd: number | null;
  private readonly dir: string | null;
  private readonly bytesPerSample: number;

  constructor(private readonly o: FeatureCacheOptions) {
    this.bytesPerSample = o.layers * o.floatsPerLayer * 4;
    if (o.expected * this.bytesPerSample > o.memoryBudget) {
      this.dir = mkdtempSync(join(tmpdir(), "train-adapter-"));
      this.fd = openSync(join(this.dir, "features.f32"), "w+");
    } else {
      this.dir = null;
      this.fd = null;
    }
  }

  get onDisk(): boolean {
    return this.fd !== null;
  }

  get count(): number {
    return this.meta.length;
  }

  /** Bytes of tokens stored (memory or disk). */
  get bytes(): number {
    return this.count * this.bytesPerSample;
  }

  add(sample: TrainSample): void {
    if (sample.tokens.length !== this.o.layers || sample.tokens.some((t) => t.length !== this.o.floatsPerLayer)) {
      throw new RangeError(`sample tokens do not match ${this.o.layers} layers of ${this.o.floatsPerLayer} floats`);
    }
    if (this.fd === null) {
      this.memory.push(sample.tokens);
    } else {
      let position = this.count * this.bytesPerSample;
      for (const t of sample.tokens) {
        position += writeSync(this.fd, new Uint8Array(t.buffer, t.byteOffset, t.byteLength), 0, t.byteLength, position);
      }
    }
    this.meta.push({ text: sample.text, mask: sample.mask });
  }

  get(index: number): TrainSample {
    const m = this.meta[index];
    if (!m) throw new RangeError(`sample ${index} of ${this.count}`);
    if (this.fd === null) return { tokens: this.memory[index]!, text: m.text, mask: m.mask };
    const all = new Float32Array(this.o.layers * this.o.floatsPerLayer);
    const bytes = new Uint8Array(all.buffer);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.fd, bytes, done, bytes.length - done, index * this.bytesPerSample + done);
      if (n <= 0) throw new Error(`feature cache: short read of sample ${index}`);
      done += n;
    }
    const tokens = Array.from({ length: this.o.layers }, (_, l) => all.subarray(l * this.o.floatsPerLayer, (l + 1) * this.o.floatsPerLayer));
    return { tokens, text: m.text, mask: m.mask };
  }

  /** Removes the temporary file, if any. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
  }
}
