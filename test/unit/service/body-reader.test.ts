import { describe, expect, it } from "vitest";
import { drainBody, readBodyBytes } from "../../../src/service/body-reader";
import { BytePool } from "../../../src/shared/byte-pool";
import { ApiError } from "../../../src/service/errors";

const limits = { maxBytes: 1000, idleTimeoutMs: 100, deadlineMs: 400 };

/** A stream that records whether it was cancelled; `pull` decides what each read gets. */
function tracked(pull: (c: ReadableStreamDefaultController<Uint8Array>, n: number) => Promise<void> | void) {
  const state = { cancelled: false, reads: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull: (c) => pull(c, state.reads++),
    cancel: () => {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

function post(body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}): Request {
  return new Request("http://x/", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(e instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(e)}`);
  return e;
}

describe("readBodyBytes", () => {
  it("returns the whole body, chunks joined", async () => {
    const { stream } = tracked((c, n) => (n < 3 ? c.enqueue(new Uint8Array([n, n])) : c.close()));
    expect([...(await readBodyBytes(post(stream), limits)).bytes]).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("refuses an over-limit Content-Length before reading, and cancels the body", async () => {
    const request = post("x".repeat(2000));
    const error = await failure(readBodyBytes(request, limits));
    expect([error.status, error.code]).toEqual([413, "payload_too_large"]);
  });

  it("cuts a stream at the limit and cancels the rest", async () => {
    const { stream, state } = tracked((c) => c.enqueue(new Uint8Array(300)));
    const error = await failure(readBodyBytes(post(stream), limits));
    expect([error.status, error.code]).toEqual([413, "payload_too_large"]);
    expect(state.cancelled).toBe(true);
    expect(state.reads).toBeLessThanOrEqual(5);
  });

  it("408 when the body stalls for the idle timeout; the stream is cancelled", async () => {
    const { stream, state } = tracked((c, n) => (n === 0 ? c.enqueue(new Uint8Array(1)) : new Promise(() => undefined)));
    const started = Date.now();
    const error = await failure(readBodyBytes(post(stream), limits));
    expect([error.status, error.code]).toEqual([408, "request_timeout"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(350);
    expect(state.cancelled).toBe(true);
  });

  it("408 at the deadline for a body that trickles in under the idle timeout", async () => {
    const { stream, state } = tracked(async (c) => {
      await new Promise((r) => setTimeout(r, 50));
      c.enqueue(new Uint8Array(1));
    });
    const started = Date.now();
    const error = await failure(readBodyBytes(post(stream), limits));
    expect([error.status, error.code]).toEqual([408, "request_timeout"]);
    expect(error.message).toMatch(/not complete within/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(Date.now() - started).toBeLessThan(700);
    expect(state.cancelled).toBe(true);
  });

  it("a body that errors (connection lost) is a 400, not a crash", async () => {
    const { stream } = tracked((c, n) => (n === 0 ? c.enqueue(new Uint8Array(1)) : c.error(new Error("Network connection lost."))));
    const error = await failure(readBodyBytes(post(stream), limits));
    expect([error.status, error.code]).toEqual([400, "invalid_request"]);
  });
});

describe("readBodyBytes into a pool", () => {
  /** A byte stream (BYOB reads, as workerd's request bodies offer) that sends `data` in chunks of at most `chunk`. */
  function byteStream(data: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
    let at = 0;
    return new ReadableStream({
      type: "bytes",
      pull(c) {
        if (at >= data.length) {
          c.close();
          c.byobRequest?.respond(0);
          return;
        }
        const view = c.byobRequest?.view as Uint8Array | null | undefined;
        if (view) {
          const n = Math.min(chunk, view.byteLength, data.length - at);
          view.set(data.subarray(at, at + n));
          at += n;
          c.byobRequest!.respond(n);
        } else {
          c.enqueue(data.slice(at, at + chunk));
          at += chunk;
        }
      },
    });
  }
  const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 9)) & 255);
  const big = { maxBytes: 1_000_000, idleTimeoutMs: 1000, deadlineMs: 5000 };

  it("reads a byte stream with BYOB reads, declared length or chunked, and gives the buffer back on release", async () => {
    const pool = new BytePool(4 * 2 ** 20);
    for (const headers of [{ "content-length": String(data.length) }, {}] as Record<string, string>[]) {
      const body = await readBodyBytes(post(byteStream(data, 30_000), headers), big, pool);
      expect(Buffer.from(body.bytes).equals(Buffer.from(data))).toBe(true);
      expect(pool.checkedOut).toBe(1);
      body.release();
      body.release();
      expect(pool.checkedOut).toBe(0);
      expect(pool.freeBytes).toBeGreaterThanOrEqual(data.length);
    }
    // The next read of that size takes a kept buffer rather than a new one: the free bytes go down while it is out.
    const kept = pool.freeBytes;
    const again = await readBodyBytes(post(byteStream(data, 65_536), { "content-length": String(data.length) }), big, pool);
    expect(pool.freeBytes).toBeLessThan(kept);
    expect(Buffer.from(again.bytes).equals(Buffer.from(data))).toBe(true);
    again.release();
    expect(pool.freeBytes).toBe(kept);
  });

  it("concurrent reads get separate buffers (exclusive checkout), each with its own bytes", async () => {
    const pool = new BytePool(4 * 2 ** 20);
    const bodies = Array.from({ length: 6 }, (_, k) => data.map((v) => (v + k) & 255));
    const read = await Promise.all(bodies.map((b, k) => readBodyBytes(post(byteStream(b, 10_000 + k * 3_000), {}), big, pool)));
    expect(pool.checkedOut).toBe(6);
    expect(new Set(read.map((r) => r.bytes.buffer)).size).toBe(6);
    expect(read.map((r, k) => Buffer.from(r.bytes).equals(Buffer.from(bodies[k]!)))).toEqual(bodies.map(() => true));
    for (const r of read) r.release();
    expect(pool.checkedOut).toBe(0);
    expect(pool.freeBytes).toBeLessThanOrEqual(4 * 2 ** 20);
  });

  it("a failed read (too large, timed out) returns its buffer and cancels the stream", async () => {
    const pool = new BytePool(4 * 2 ** 20);
    const error = await failure(readBodyBytes(post(byteStream(data, 50_000)), { ...big, maxBytes: 100_000 }, pool));
    expect([error.status, error.code]).toEqual([413, "payload_too_large"]);
    expect(pool.checkedOut).toBe(0);
    const { stream, state } = tracked((c, n) => (n === 0 ? c.enqueue(new Uint8Array(1)) : new Promise(() => undefined)));
    const timeout = await failure(readBodyBytes(post(stream), limits, pool));
    expect(timeout.code).toBe("request_timeout");
    expect(state.cancelled).toBe(true);
    expect(pool.checkedOut).toBe(0);
  });
});

describe("drainBody", () => {
  it("reads a body to its end without cancelling it (byte stream with BYOB reads, and a plain stream)", async () => {
    let at = 0;
    const bytes = new ReadableStream({
      type: "bytes",
      pull(c) {
        const view = c.byobRequest!.view as Uint8Array;
        if (at >= 300_000) {
          c.close();
          c.byobRequest!.respond(0);
          return;
        }
        const n = Math.min(view.byteLength, 300_000 - at);
        at += n;
        c.byobRequest!.respond(n);
      },
    });
    await drainBody(bytes, { maxBytes: 1_000_000, idleTimeoutMs: 1000, deadlineMs: 5000 });
    expect(at).toBe(300_000);
    const { stream, state } = tracked((c, n) => (n < 5 ? c.enqueue(new Uint8Array(100)) : c.close()));
    await drainBody(stream, limits);
    expect(state).toMatchObject({ reads: 6, cancelled: false });
  });

  it("cancels past maxBytes, after the idle timeout, and at the deadline; never throws", async () => {
    const endless = tracked((c) => c.enqueue(new Uint8Array(300)));
    await drainBody(endless.stream, limits);
    expect(endless.state.cancelled).toBe(true);
    expect(endless.state.reads).toBeLessThan(10);

    const stalled = tracked(() => new Promise(() => undefined));
    const started = Date.now();
    await drainBody(stalled.stream, limits);
    expect(stalled.state.cancelled).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);

    const trickle = tracked(async (c) => {
      await new Promise((r) => setTimeout(r, 50));
      c.enqueue(new Uint8Array(1));
    });
    await drainBody(trickle.stream, limits);
    expect(trickle.state.cancelled).toBe(true);

    const broken = tracked((c) => c.error(new Error("connection lost")));
    await drainBody(broken.stream, limits);
    await drainBody(null, limits);
  });
});
