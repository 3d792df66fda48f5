// The port between the front and the text-tower stages: one call runs one text stage over a batch of sentences.

export interface TextStageCall {
  /** Token ids [sentences, seq], every sentence trimmed to the same length (the longest EOT position + 1). */
  tokens: BigInt64Array;
  seq: number;
  /** Stage i > 0: the residual stream [sentences, seq, width] stage i - 1 returned. */
  residual?: Float32Array;
}

export interface TextStageReply {
  /** The residual stream for the next stage [sentences, seq, width]; absent from the last stage. */
  residual?: Float32Array;
  /** The last stage's L2-normalised text embeddings [sentences, embedDim]. */
  features?: Float32Array;
  /** Milliseconds the stage spent on the call itself, as the stage measured them. */
  workMs: number;
}

/** Runs text-tower stages: in this process (build-time features, parity, tests) or in text stage Workers. */
export interface TextStageRunner {
  readonly stageCount: number;
  run(index: number, call: TextStageCall): Promise<TextStageReply>;
}
