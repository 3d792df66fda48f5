import { describe, expect, it } from "vitest";
import { readBodyBytes } from "../../../src/service/body-reader";
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
    expect([...(await readBodyBytes(post(stream), limits))]).toEqual([0, 0, 1, 1, 2, 2]);
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
