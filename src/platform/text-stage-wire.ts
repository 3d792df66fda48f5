// The text stage RPC's wire shapes: token ids cross a service binding as an ArrayBuffer, the sentences' batches as a
// ReadableStream of float32 bytes (byte-record-stream.ts), in and out.
import { TEXT_STAGE_BATCH_SIZE } from "../engine/runtime/graph-names";

export interface WireTextStageCall {
  /** The text stage the front means to call: a Worker running another stage refuses it (a miswired binding). */
  index: number;
  /** The front's model: a text stage serving another bundle refuses the call. */
  modelHash: string;
  /** int64 token ids [sentences, seq]. */
  tokens: ArrayBuffer;
  seq: number;
}

/**
 * What the front calls on a `TEXT_STAGE_<i>` service binding (the TextStage entrypoint of src/worker.ts): stage i > 0
 * reads stage i - 1's output stream; the reply is this stage's output stream, batch after batch of
 * TEXT_STAGE_BATCH_SIZE sentences (the residual stream [count, seq, width], or the last stage's features [count, embedDim]).
 */
export interface TextStageRpc {
  run(call: WireTextStageCall, residual?: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>>;
}

/** Bytes of each batch of n sentences whose rows hold `rowValues` float32 values each. */
export function* textBatchBytes(n: number, rowValues: number): Generator<number> {
  for (let r = 0; r < n; r += TEXT_STAGE_BATCH_SIZE) yield Math.min(TEXT_STAGE_BATCH_SIZE, n - r) * rowValues * 4;
}

/** The token ids' own bytes: their buffer when the array spans all of it, else a copy. */
export function tokenBytes(a: BigInt64Array): ArrayBuffer {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer) return a.buffer;
  return a.slice().buffer as ArrayBuffer;
}
