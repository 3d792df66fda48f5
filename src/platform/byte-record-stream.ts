// Records of known sizes as a byte stream and back: how batches cross a service binding as a ReadableStream (JS RPC
// streams them with flow control, so neither side holds more than a few records). Generic: the sizes say where each
// record ends (the stream itself re-chunks the bytes), no framing is sent.
import { releaseBuffer } from "../shared/release-buffer";

/**
 * A byte stream of the records, produced as it is read: the next record is asked for only when the reader's queue has
 * room (`ahead` records), so a slow reader holds back the producer. `releaseSent`: the records are the producer's own
 * fresh buffers, each released (detached) once the reader has taken it and asks for the next — only for a stream
 * handed to JS RPC, whose reader copies what it takes (a reader in this isolate may still hold it); otherwise every sent
 * record stays in this isolate until the collector runs (measured in workerd over JS RPC, 2026-11-30: 6 records of 8
 * MiB left 48 MiB of backing stores in the producer, released 0, the reader getting every byte intact).
 */
export function recordsToByteStream(records: AsyncIterable<ArrayBufferView>, { ahead = 1, releaseSent = false } = {}): ReadableStream<Uint8Array> {
  const it = records[Symbol.asyncIterator]();
  let sent: ArrayBufferView | undefined;
  const release = () => {
    if (releaseSent && sent) releaseBuffer(sent);
    sent = undefined;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        release();
        const next = await it.next();
        if (next.done) controller.close();
        else {
          sent = next.value;
          controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        }
      },
      async cancel(reason) {
        await it.return?.(reason);
      },
    },
    { highWaterMark: ahead },
  );
}

/**
 * Reads the stream as records of exactly `sizes` bytes each, then checks it ends there. Each record is a new buffer.
 * A byte stream (what JS RPC hands a Worker) is read straight into each record with a BYOB reader: workerd then fills
 * up to 64 KiB per read instead of the 4 KiB chunks a default reader gets (measured, README "Stages").
 */
export async function* byteStreamToRecords(stream: ReadableStream<Uint8Array>, sizes: Iterable<number>, what: string): AsyncGenerator<Uint8Array> {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    byob = undefined;
  }
  if (byob) yield* byobRecords(byob, sizes, what);
  else yield* chunkRecords(stream.getReader(), sizes, what);
}

async function* byobRecords(reader: ReadableStreamBYOBReader, sizes: Iterable<number>, what: string): AsyncGenerator<Uint8Array> {
  let done = false;
  try {
    for (const size of sizes) {
      let buffer = new ArrayBuffer(size);
      let filled = 0;
      while (filled < size) {
        const r = await reader.read(new Uint8Array(buffer, filled, size - filled));
        if (r.done || !r.value) {
          done = true;
          throw new Error(`${what}: the stream ended after ${filled} of a ${size}-byte record`);
        }
        buffer = r.value.buffer as ArrayBuffer;
        filled += r.value.byteLength;
      }
      yield new Uint8Array(buffer, 0, size);
    }
    const end = await reader.read(new Uint8Array(1));
    done = end.done;
    if (!end.done) throw new Error(`${what}: the stream is longer than its records`);
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function* chunkRecords(reader: ReadableStreamDefaultReader<Uint8Array>, sizes: Iterable<number>, what: string): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array | undefined;
  let done = false;
  try {
    for (const size of sizes) {
      const record = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        if (!pending || pending.length === 0) {
          if (done) throw new Error(`${what}: the stream ended after ${filled} of a ${size}-byte record`);
          const r = await reader.read();
          if (r.done) {
            done = true;
            continue;
          }
          pending = r.value;
        }
        const take = Math.min(size - filled, pending.length);
        record.set(pending.subarray(0, take), filled);
        pending = pending.subarray(take);
        filled += take;
      }
      yield record;
    }
    while (!done && (!pending || pending.length === 0)) {
      const r = await reader.read();
      if (r.done) done = true;
      else pending = r.value;
    }
    if (pending && pending.length > 0) throw new Error(`${what}: the stream is longer than its records`);
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** The records as float32 arrays (each record is a new buffer, so no copy). */
export async function* float32Records(records: AsyncIterable<Uint8Array>): AsyncGenerator<Float32Array> {
  for await (const r of records) {
    if (r.byteOffset % 4 !== 0 || r.byteLength % 4 !== 0) throw new Error(`a float32 record of ${r.byteLength} bytes at offset ${r.byteOffset}`);
    yield new Float32Array(r.buffer, r.byteOffset, r.byteLength / 4);
  }
}
