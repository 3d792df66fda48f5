// Records of known sizes across a byte stream that re-chunks them (as JS RPC does): same bytes back, bounded, checked.
import { describe, expect, it } from "vitest";
import { byteStreamToRecords, float32Records, recordsToByteStream } from "../../../src/platform/byte-record-stream";

/** Re-chunks a stream's bytes into pieces of `size` (like a transport would). */
function rechunk(stream: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  let rest = new Uint8Array(0);
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        const all = new Uint8Array(rest.length + chunk.length);
        all.set(rest);
        all.set(chunk, rest.length);
        let at = 0;
        for (; at + size <= all.length; at += size) c.enqueue(all.slice(at, at + size));
        rest = all.slice(at);
      },
      flush(c) {
        if (rest.length) c.enqueue(rest);
      },
    }),
  );
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("byte record streams", () => {
  it("give back float32 records of the given sizes however the bytes are chunked", async () => {
    const records = [8, 8, 3].map((n, k) => Float32Array.from({ length: n * 5 }, (_, i) => k * 1000 + i + 0.25));
    for (const chunk of [1, 7, 4096]) {
      async function* source() {
        yield* records;
      }
      const stream = rechunk(recordsToByteStream(source()), chunk);
      const got = await collect(float32Records(byteStreamToRecords(stream, [160, 160, 60], "test")));
      expect(got.map((r) => Array.from(r))).toEqual(records.map((r) => Array.from(r)));
    }
  });

  it("read a byte stream with a BYOB reader into whole records", async () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    let at = 0;
    const source = () =>
      new ReadableStream({
        type: "bytes",
        pull(c) {
          if (at >= bytes.length) {
            c.close();
            c.byobRequest?.respond(0); // a pending BYOB read is answered "done" only once responded to
            return;
          }
          c.enqueue(bytes.slice(at, at + 7));
          at += 7;
        },
      });
    const got = await collect(byteStreamToRecords(source(), [100, 150, 50], "byob"));
    expect(got.map((r) => r.length)).toEqual([100, 150, 50]);
    expect(Array.from(got[1]!)).toEqual(Array.from(bytes.subarray(100, 250)));
    at = 0;
    await expect(collect(byteStreamToRecords(source(), [100, 150], "byob long"))).rejects.toThrow(/byob long: the stream is longer than its records/);
    at = 0;
    await expect(collect(byteStreamToRecords(source(), [100, 250], "byob short"))).rejects.toThrow(
      /byob short: the stream ended after 200 of a 250-byte record/,
    );
  });

  it("produce a record only when the reader has room for it", async () => {
    let produced = 0;
    async function* source() {
      for (let k = 0; k < 10; k++) {
        produced++;
        yield new Float32Array(4);
      }
    }
    const reader = recordsToByteStream(source(), { ahead: 1 }).getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  it("with releaseSent, release each sent record when the next is asked for (where the runtime can detach), the last at the end", async () => {
    const detaches = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function";
    const records = [new Float32Array(4).fill(1), new Float32Array(4).fill(2)];
    async function* source() {
      yield* records;
    }
    const reader = recordsToByteStream(source(), { releaseSent: true }).getReader();
    const first = await reader.read();
    expect([...new Float32Array(first.value!.slice().buffer)]).toEqual([1, 1, 1, 1]);
    const second = await reader.read();
    expect([...new Float32Array(second.value!.slice().buffer)]).toEqual([2, 2, 2, 2]);
    expect(records[0]!.length).toBe(detaches ? 0 : 4);
    expect((await reader.read()).done).toBe(true);
    expect(records[1]!.length).toBe(detaches ? 0 : 4);
  });

  it("refuse a stream shorter or longer than its records", async () => {
    const bytes = (n: number) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new Uint8Array(n));
          c.close();
        },
      });
    await expect(collect(byteStreamToRecords(bytes(10), [8, 8], "short"))).rejects.toThrow(/short: the stream ended after 2 of a 8-byte record/);
    await expect(collect(byteStreamToRecords(bytes(20), [8, 8], "long"))).rejects.toThrow(/long: the stream is longer than its records/);
  });
});
