// The port between the front and the text-tower stages: each stage streams the sentences through in batches, so a
// stage (and the front) holds a bounded number of batches, never the residual stream of every sentence at once.

/**
 * Batches of TEXT_STAGE_BATCH_SIZE sentences (the last may be shorter), in order: the residual stream [count, seq,
 * width] float32 between stages, the L2-normalised text embeddings [count, embedDim] out of the last one.
 */
export type TextBatches = AsyncIterable<Float32Array>;

export interface TextStageCall {
  /** Token ids [sentences, seq], every sentence trimmed to the same length (the longest EOT position + 1). */
  tokens: BigInt64Array;
  seq: number;
  /** Stage i > 0: the batches stage i - 1 returns. */
  residual?: TextBatches;
}

/**
 * Runs text-tower stages: in this process (build-time features, parity, tests) or in text stage Workers. `run`
 * returns as soon as the stage has started: its batches come while the previous stage still produces its own, so the
 * stages work as a pipeline. A runner may pass a stage's output to the next without it crossing this isolate's heap.
 */
export interface TextStageRunner {
  readonly stageCount: number;
  run(index: number, call: TextStageCall): Promise<TextBatches>;
}
