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
 * All shots of a reference set through one stage in one call (set creation, re-embedding). The stage runs them one at a
 * time and reduces its own layers where they are: what comes back is the residual streams plus small per-shot maps and
 * its few-shot layers' bank rows in the stored dtype, never a tapped tensor.
 */
export interface StageShotsCall {
  /**
   * The shots' inputs one after the other: k x [3, S, S] pixels (stage 0) or k x [1 + G², W] residual streams. The
   * stage overwrites it (a shot's input is free once the shot has run): the caller must not use it afterwards.
   */
  input: Float32Array;
  shots: number;
  /** Text features [E, 2] of the set's object (its zero-shot layers' logit differences). */
  textFeatures: Float32Array;
}

export interface StageShotsReply {
  /** k x [1 + G², W] residual streams for the next stage; absent from the last stage. */
  residuals?: Float32Array;
  /** The last stage's image embeddings k x [E]. */
  imageFeatures?: Float32Array;
  /** k x [G²] patch logit differences by zero-shot layer of the stage. */
  zeroShotDifferences: Map<number, Float32Array>;
  /**
   * k x [G²] leave-one-out few-shot distances by few-shot layer of the stage: shot j against the bank of the other
   * shots (absent when k = 1).
   */
  leaveOneOutDistances: Map<number, Float32Array>;
  /** The memory bank [k*G², W] of each few-shot layer of the stage, as IEEE half bits (the stored dtype). */
  banks: Map<number, Uint16Array>;
  workMs: number;
}

/** Runs image-tower stages: in this process (tests, parity) or in stage Workers over service bindings. */
export interface StageRunner {
  readonly stageCount: number;
  run(index: number, call: StageCall): Promise<StageReply>;
  /** One call per stage for every shot of a reference set. */
  runShots(index: number, call: StageShotsCall): Promise<StageShotsReply>;
}

/** A stage that cannot be reached (no binding, or the call failed in transport). */
export class StageError extends Error {
  readonly code = "stage_unavailable";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StageError";
  }
}
