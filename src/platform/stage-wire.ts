// The stage RPC's wire shapes: float32 payloads cross a service binding as ArrayBuffers, per-layer maps as pairs.
import type { FewShotBankKey, StageCall, StageReply, StageShotsCall, StageShotsReply } from "../engine/staging/stage-port";

export interface WireStageCall {
  /** The stage the front means to call: a stage Worker refuses a call meant for another (a miswired binding). */
  index: number;
  /** The front's model: a stage serving another bundle refuses the call instead of mixing two models. */
  modelHash: string;
  input: ArrayBuffer;
  textFeatures?: ArrayBuffer;
  fewShotBank?: FewShotBankKey;
  taps?: boolean;
}

type WireLayers = [layer: number, values: ArrayBuffer][];

export interface WireStageReply {
  residual?: ArrayBuffer;
  imageFeatures?: ArrayBuffer;
  tokens: WireLayers;
  projected: WireLayers;
  zeroShotDifferences: WireLayers;
  fewShotDistances: WireLayers;
  workMs: number;
}

/** All shots of a reference set for one stage (StageShotsCall), checked like WireStageCall. */
export interface WireStageShotsCall {
  index: number;
  modelHash: string;
  input: ArrayBuffer;
  shots: number;
  textFeatures: ArrayBuffer;
}

export interface WireStageShotsReply {
  residuals?: ArrayBuffer;
  imageFeatures?: ArrayBuffer;
  zeroShotDifferences: WireLayers;
  leaveOneOutDistances: WireLayers;
  /** IEEE half bits per few-shot layer. */
  banks: WireLayers;
  workMs: number;
}

/** What the front calls on a `STAGE_<i>` service binding (the ImageStage entrypoint of src/worker.ts). */
export interface ImageStageRpc {
  run(call: WireStageCall): Promise<WireStageReply>;
  runShots(call: WireStageShotsCall): Promise<WireStageShotsReply>;
}

/** The array's own bytes: its buffer when it spans all of it, else a copy. */
function bufferOf(a: Float32Array | Uint16Array): ArrayBuffer {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer) return a.buffer;
  return a.slice().buffer as ArrayBuffer;
}

const toLayers = (m: Map<number, Float32Array | Uint16Array>): WireLayers => [...m].map(([l, a]) => [l, bufferOf(a)]);
const fromLayers = (w: WireLayers): Map<number, Float32Array> => new Map(w.map(([l, b]) => [l, new Float32Array(b)]));

export function toWireCall(index: number, modelHash: string, call: StageCall): WireStageCall {
  return {
    index,
    modelHash,
    input: bufferOf(call.input),
    ...(call.textFeatures ? { textFeatures: bufferOf(call.textFeatures) } : {}),
    ...(call.fewShotBank ? { fewShotBank: call.fewShotBank } : {}),
    ...(call.taps ? { taps: true } : {}),
  };
}

export function fromWireCall(w: WireStageCall): StageCall {
  return {
    input: new Float32Array(w.input),
    ...(w.textFeatures ? { textFeatures: new Float32Array(w.textFeatures) } : {}),
    ...(w.fewShotBank ? { fewShotBank: w.fewShotBank } : {}),
    ...(w.taps ? { taps: true } : {}),
  };
}

export function toWireReply(r: StageReply): WireStageReply {
  return {
    ...(r.residual ? { residual: bufferOf(r.residual) } : {}),
    ...(r.imageFeatures ? { imageFeatures: bufferOf(r.imageFeatures) } : {}),
    tokens: toLayers(r.tokens),
    projected: toLayers(r.projected),
    zeroShotDifferences: toLayers(r.zeroShotDifferences),
    fewShotDistances: toLayers(r.fewShotDistances),
    workMs: r.workMs,
  };
}

export function fromWireReply(w: WireStageReply): StageReply {
  return {
    ...(w.residual ? { residual: new Float32Array(w.residual) } : {}),
    ...(w.imageFeatures ? { imageFeatures: new Float32Array(w.imageFeatures) } : {}),
    tokens: fromLayers(w.tokens),
    projected: fromLayers(w.projected),
    zeroShotDifferences: fromLayers(w.zeroShotDifferences),
    fewShotDistances: fromLayers(w.fewShotDistances),
    workMs: w.workMs,
  };
}

export function toWireShotsCall(index: number, modelHash: string, call: StageShotsCall): WireStageShotsCall {
  return { index, modelHash, input: bufferOf(call.input), shots: call.shots, textFeatures: bufferOf(call.textFeatures) };
}

export function fromWireShotsCall(w: WireStageShotsCall): StageShotsCall {
  return { input: new Float32Array(w.input), shots: w.shots, textFeatures: new Float32Array(w.textFeatures) };
}

export function toWireShotsReply(r: StageShotsReply): WireStageShotsReply {
  return {
    ...(r.residuals ? { residuals: bufferOf(r.residuals) } : {}),
    ...(r.imageFeatures ? { imageFeatures: bufferOf(r.imageFeatures) } : {}),
    zeroShotDifferences: toLayers(r.zeroShotDifferences),
    leaveOneOutDistances: toLayers(r.leaveOneOutDistances),
    banks: toLayers(r.banks),
    workMs: r.workMs,
  };
}

export function fromWireShotsReply(w: WireStageShotsReply): StageShotsReply {
  return {
    ...(w.residuals ? { residuals: new Float32Array(w.residuals) } : {}),
    ...(w.imageFeatures ? { imageFeatures: new Float32Array(w.imageFeatures) } : {}),
    zeroShotDifferences: fromLayers(w.zeroShotDifferences),
    leaveOneOutDistances: fromLayers(w.leaveOneOutDistances),
    banks: new Map(w.banks.map(([l, b]) => [l, new Uint16Array(b)])),
    workMs: w.workMs,
  };
}
