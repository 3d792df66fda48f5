// What crossing the stages cost one request: per hop the bytes each way, the round trip and the stage's own work.
import type { StageCall, StageReply } from "./stage-port";

export interface StageHop {
  stage: number;
  /** Bytes of the float32 payloads sent to the stage (input, text features). */
  sentBytes: number;
  /** Bytes of the float32 payloads the stage returned. */
  receivedBytes: number;
  /** Milliseconds from the call to its reply, as the front measured them. */
  roundTripMs: number;
  /** Milliseconds the stage reported for its own work. */
  workMs: number;
}

export interface StageTrace {
  hops: StageHop[];
}

export function callBytes(call: StageCall): number {
  return call.input.byteLength + (call.textFeatures?.byteLength ?? 0);
}

export function replyBytes(reply: StageReply): number {
  let bytes = (reply.residual?.byteLength ?? 0) + (reply.imageFeatures?.byteLength ?? 0);
  for (const map of [reply.tokens, reply.projected, reply.zeroShotDifferences, reply.fewShotDistances]) {
    for (const a of map.values()) bytes += a.byteLength;
  }
  return bytes;
}

/** Totals over the hops: all round trips, and the part of them not spent in the stages' own work. */
export function traceTotals(trace: StageTrace): { stagesMs: number; hopMs: number; bytes: number } {
  let stagesMs = 0;
  let workMs = 0;
  let bytes = 0;
  for (const h of trace.hops) {
    stagesMs += h.roundTripMs;
    workMs += h.workMs;
    bytes += h.sentBytes + h.receivedBytes;
  }
  return { stagesMs, hopMs: Math.max(0, stagesMs - workMs), bytes };
}
