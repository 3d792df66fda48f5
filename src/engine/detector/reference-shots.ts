// A reference set's shots on their way into an image tower, and what the tower makes of them.
import type { LeaveOneOutValue } from "../anomaly/calibration";
import type { StageTrace } from "../staging/stage-trace";

/** A reference set's shots, decoded on demand: `pixels(j)` is called once per shot, in order, and released after use. */
export interface ReferenceShots {
  count: number;
  pixels(index: number): Promise<{ pixels: Float32Array; release(): void }>;
}

/** A bank as float32 values, or as the IEEE half bits it is stored in (what image stages return). */
export type BankRows = Float32Array | Uint16Array;

export interface ShotsEmbedding {
  /** Per shot, in order: the inputs of calibrateFromLeaveOneOut. */
  values: LeaveOneOutValue[];
  /** The memory bank [k*G², W] of every few-shot layer. */
  memory: Map<number, BankRows>;
  /** The stage hops of a staged tower (one call per stage for all shots). */
  stages?: StageTrace;
}
