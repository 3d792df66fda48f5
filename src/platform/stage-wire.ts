// The stage RPC's wire shapes: float32 payloads cross a service binding as ArrayBuffers, per-layer maps as pairs; a
// shots call's inputs and outputs as ReadableStreams of records (byte-record-stream.ts), one shot at a time.
import type { ImageStageLayout } from "../engine/staging/image-stage-layout";
import type { FewShotBankKey, StageCall, StageReply, StageShotsItem } from "../engine/staging/stage-port";

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

/**
 * A reference set's shots through one stage (StageShotsCall), checked like WireStageCall. The inputs come as a stream
 * beside it (shotsInputRecordBytes), the answer is a stream too (shotsOutputRecordBytes): no RPC message grows with
 * the number of shots (workerd refuses any over 32 MiB).
 */
export interface WireStageShotsCall {
  index: number;
  modelHash: string;
  shots: number;
  textFeatures: ArrayBuffer;
}

/** What the front calls on a `STAGE_<i>` service binding (the ImageStage entrypoint of src/worker.ts). */
export interface ImageStageRpc {
  run(call: WireStageCall): Promise<WireStageReply>;
  runShots(call: WireStageShotsCall, inputs: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>>;
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

export function toWireShotsCall(index: number, modelHash: string, shots: number, textFeatures: Float32Array): WireStageShotsCall {
  return { index, modelHash, shots, textFeatures: bufferOf(textFeatures) };
}

/** The input stream's records: one float32 input per shot. */
export function* shotsInputRecordBytes(layout: ImageStageLayout, shots: number): Generator<number> {
  for (let j = 0; j < shots; j++) yield 4 * layout.inputValues;
}

/**
 * The output stream's records, in order: per shot its residual stream (or image features), its zero-shot layers'
 * [G²] float32 maps, its few-shot layers' [G², W] half-bit bank rows; then (k > 1) each few-shot layer's k x [G²]
 * leave-one-out distances, and the stage's work time as one float64.
 */
export function* shotsOutputRecordBytes(layout: ImageStageLayout, shots: number): Generator<number> {
  for (let j = 0; j < shots; j++) {
    yield 4 * layout.outputValues;
    for (const _ of layout.zeroShot) yield 4 * layout.patches;
    for (const _ of layout.fewShot) yield 2 * layout.patches * layout.width;
  }
  if (shots > 1) for (const _ of layout.fewShot) yield 4 * shots * layout.patches;
  yield 8;
}

/** The stage's side: its items as the records of shotsOutputRecordBytes. */
export async function* shotsItemsToRecords(items: AsyncIterable<StageShotsItem>, layout: ImageStageLayout, shots: number): AsyncGenerator<ArrayBufferView> {
  const layer = <T>(m: Map<number, T>, l: number, what: string): T => {
    const v = m.get(l);
    if (v === undefined) throw new Error(`image stage ${layout.index} has no ${what} of layer ${l}`);
    return v;
  };
  for await (const item of items) {
    if ("shot" in item) {
      const s = item.shot;
      yield (layout.last ? s.imageFeatures : s.residual) ?? new Float32Array(0);
      for (const l of layout.zeroShot) yield layer(s.zeroShotDifferences, l, "zero-shot logits");
      for (const l of layout.fewShot) yield layer(s.bankRows, l, "bank rows");
    } else {
      if (shots > 1) for (const l of layout.fewShot) yield layer(item.end.leaveOneOutDistances, l, "leave-one-out distances");
      yield new Float64Array([item.end.workMs]);
    }
  }
}

/** The front's side: the records of shotsOutputRecordBytes (already cut to those sizes) as items again. */
export async function* recordsToShotsItems(records: AsyncIterable<Uint8Array>, layout: ImageStageLayout, shots: number): AsyncGenerator<StageShotsItem> {
  const it = records[Symbol.asyncIterator]();
  const next = async (): Promise<Uint8Array> => {
    const r = await it.next();
    if (r.done) throw new Error(`image stage ${layout.index}'s shots stream ended early`);
    return r.value;
  };
  const f32 = (r: Uint8Array) => new Float32Array(r.buffer, r.byteOffset, r.byteLength / 4);
  const u16 = (r: Uint8Array) => new Uint16Array(r.buffer, r.byteOffset, r.byteLength / 2);
  try {
    for (let j = 0; j < shots; j++) {
      const out = f32(await next());
      const zeroShotDifferences = new Map<number, Float32Array>();
      for (const l of layout.zeroShot) zeroShotDifferences.set(l, f32(await next()));
      const bankRows = new Map<number, Uint16Array>();
      for (const l of layout.fewShot) bankRows.set(l, u16(await next()));
      yield { shot: { ...(layout.last ? { imageFeatures: out } : { residual: out }), zeroShotDifferences, bankRows } };
    }
    const leaveOneOutDistances = new Map<number, Float32Array>();
    if (shots > 1) for (const l of layout.fewShot) leaveOneOutDistances.set(l, f32(await next()));
    const work = await next();
    yield { end: { leaveOneOutDistances, workMs: new Float64Array(work.buffer, work.byteOffset, 1)[0]! } };
    if (!(await it.next()).done) throw new Error(`image stage ${layout.index}'s shots stream is longer than its records`);
  } finally {
    await it.return?.();
  }
}
