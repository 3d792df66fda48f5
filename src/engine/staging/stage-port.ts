// The port between the front and the image-tower stages: one call runs one stage on a float32 input.

/** Identifies a reference set's memory banks for the model and prompt set in use; the stage reads its layers' banks. */
export interface FewShotBankKey {
  tenant: string;
  referenceSet: string;
  modelHash: string;
  promptSet: string;
}

export interface StageCall {
  /** Stage 0: pixels [3, S, S]; stage i > 0: the residual stream [1 + G², W] stage i - 1 returned. */
  input: Float32Array;
  /**
   * Text features [E, 2]: each zero-shot layer of the stage comes back reduced to its patch logit difference [G²]
   * (zeroShotLogitDifference) instead of its projected tokens.
   */
  textFeatures?: Float32Array;
  /** Each few-shot layer of the stage comes back as its few-shot distances [G²] against this set's bank. */
  fewShotBank?: FewShotBankKey;
  /** Return every tapped and projected output of the stage as it is (reference-set embedding, parity). */
  taps?: boolean;
}

export interface StageReply {
  /** The residual stream for the next stage [1 + G², W]; absent from the last stage. */
  residual?: Float32Array;
  /** The last stage's image embedding [E]. */
  imageFeatures?: Float32Array;
  /** Raw tapped tokens [1 + G², W] by layer (only when `taps`). */
  tokens: Map<number, Float32Array>;
  /** Projected patch tokens [G², E] by zero-shot layer (only when `taps`). */
  projected: Map<number, Float32Array>;
  /** Patch logit difference [G²] by zero-shot layer (only with `textFeatures`). */
  zeroShotDifferences: Map<number, Float32Array>;
  /** Few-shot distances [G²] by few-shot layer (only with `fewShotBank`). */
  fewShotDistances: Map<number, Float32Array>;
  /** Milliseconds the stage spent on the call itself (its session, bank and run), as the stage measured them. */
  workMs: number;
}

/**
 * All shots of a reference set through one stage in one call (set creation, re-embedding), streamed: the stage reads
 * a shot's input only once the previous shot has run and hands each shot's outputs on as soon as it has them, so
 * neither a message nor the stage's memory grows with k (except the float32 rows its few-shot layers keep for the
 * leave-one-out search). What comes back is the residual stream plus small per-shot maps and its few-shot layers' bank
 * rows in the stored dtype, never a tapped tensor.
 */
export interface StageShotsCall {
  /**
   * The shots' inputs in order, one [3, S, S] pixels (stage 0) or [1 + G², W] residual stream each. The stage keeps
   * none of them: input j may be released once shot j's output has come back.
   */
  inputs: AsyncIterable<Float32Array>;
  shots: number;
  /** Text features [E, 2] of the set's object (its zero-shot layers' logit differences). */
  textFeatures: Float32Array;
}

/** One shot through a stage, handed on as soon as the stage has run it. */
export interface StageShotOutput {
  /** [1 + G², W] residual stream for the next stage; absent from the last stage. */
  residual?: Float32Array;
  /** The last stage's image embedding [E]. */
  imageFeatures?: Float32Array;
  /** [G²] patch logit difference by zero-shot layer of the stage. */
  zeroShotDifferences: Map<number, Float32Array>;
  /** This shot's rows [G², W] of each few-shot layer's memory bank (class token dropped), as IEEE half bits. */
  bankRows: Map<number, Uint16Array>;
}

/** What a stage gives once every shot has run. */
export interface StageShotsEnd {
  /**
   * k x [G²] leave-one-out few-shot distances by few-shot layer of the stage: shot j against the bank of the other
   * shots (absent when k = 1).
   */
  leaveOneOutDistances: Map<number, Float32Array>;
  /** Milliseconds of the stage's own work (its session, runs and reductions), not of waiting for inputs or readers. */
  workMs: number;
}

/** A stage's answer to a shots call: k `shot` items in order, then one `end`. */
export type StageShotsItem = { shot: StageShotOutput } | { end: StageShotsEnd };

/** Runs image-tower stages: in this process (tests, parity) or in stage Workers over service bindings. */
export interface StageRunner {
  readonly stageCount: number;
  run(index: number, call: StageCall): Promise<StageReply>;
  /** One call per stage for every shot of a reference set, streamed both ways. */
  runShots(index: number, call: StageShotsCall): AsyncIterable<StageShotsItem>;
}

/** A stage that cannot be reached (no binding, or the call failed in transport). */
export class StageError extends Error {
  readonly code = "stage_unavailable";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StageError";
  }
}
