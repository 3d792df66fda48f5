// The text stage RPC's wire shapes: token ids and float32 payloads cross a service binding as ArrayBuffers.
import type { TextStageCall, TextStageReply } from "../engine/staging/text-stage-port";

export interface WireTextStageCall {
  /** The text stage the front means to call: a Worker running another stage refuses it (a miswired binding). */
  index: number;
  /** The front's model: a text stage serving another bundle refuses the call. */
  modelHash: string;
  /** int64 token ids [sentences, seq]. */
  tokens: ArrayBuffer;
  seq: number;
  residual?: ArrayBuffer;
}

export interface WireTextStageReply {
  residual?: ArrayBuffer;
  features?: ArrayBuffer;
  workMs: number;
}

/** What the front calls on a `TEXT_STAGE_<i>` service binding (the TextStage entrypoint of src/worker.ts). */
export interface TextStageRpc {
  run(call: WireTextStageCall): Promise<WireTextStageReply>;
}

/** The array's own bytes: its buffer when it spans all of it, else a copy. */
function bufferOf(a: Float32Array | BigInt64Array): ArrayBuffer {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer) return a.buffer;
  return a.slice().buffer as ArrayBuffer;
}

export function toWireTextCall(index: number, modelHash: string, call: TextStageCall): WireTextStageCall {
  return { index, modelHash, tokens: bufferOf(call.tokens), seq: call.seq, ...(call.residual ? { residual: bufferOf(call.residual) } : {}) };
}

export function fromWireTextCall(w: WireTextStageCall): TextStageCall {
  return { tokens: new BigInt64Array(w.tokens), seq: w.seq, ...(w.residual ? { residual: new Float32Array(w.residual) } : {}) };
}

export function toWireTextReply(r: TextStageReply): WireTextStageReply {
  return {
    ...(r.residual ? { residual: bufferOf(r.residual) } : {}),
    ...(r.features ? { features: bufferOf(r.features) } : {}),
    workMs: r.workMs,
  };
}

export function fromWireTextReply(w: WireTextStageReply): TextStageReply {
  return {
    ...(w.residual ? { residual: new Float32Array(w.residual) } : {}),
    ...(w.features ? { features: new Float32Array(w.features) } : {}),
    workMs: w.workMs,
  };
}
