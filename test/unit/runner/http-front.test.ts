// The local runner's HTTP front against a plain Node upstream: only complete bodies are forwarded.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningFront, startHttpFront } from "../../../src/runner/http-front";

interface Seen {
  method: string;
  url: string;
  bytes: number;
  headers: Record<string, unknown>;
}

let upstream: Server;
let front: RunningFront;
const seen: Seen[] = [];
let slowAnswerMs = 0;
let answered = 0;
/** Upstream requests whose connection closed before their answer was written. */
let cutShort = 0;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    res.on("close", () => {
      if (!res.writableFinished) cutShort++;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const bytes = Buffer.concat(chunks).length;
      seen.push({ method: req.method!, url: req.url!, bytes, headers: req.headers });
      setTimeout(() => {
        answered++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ bytes }));
      }, slowAnswerMs);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const port = (upstream.address() as { port: number }).port;
  front = await startHttpFront({
    host: "127.0.0.1",
    port: 0,
    upstream: { host: "127.0.0.1", port },
    maxBodyBytes: 100_000,
    idleTimeoutMs: 300,
    deadlineMs: 1_500,
    maxBufferedBytes: 250_000,
  });
});

afterAll(async () => {
  await front.close();
  await new Promise((r) => upstream.close(r));
});

/** Raw bytes over a socket; resolves with what came back when the server closes or after `holdMs`, then closes. */
function raw(parts: (string | Buffer)[], holdMs: number): Promise<{ text: string; closedByServer: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = "";
    const socket = connect(front.port, "127.0.0.1", () => {
      for (const p of parts) socket.write(p);
    });
    socket.on("data", (d) => (text += d.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve({ text, closedByServer: true, ms: Date.now() - started }));
    setTimeout(() => {
      resolve({ text, closedByServer: false, ms: Date.now() - started });
      socket.destroy();
    }, holdMs);
  });
}

const url = () => `http://127.0.0.1:${front.port}`;

describe("HTTP front", () => {
  it("forwards a complete body with its length, and the answer back", async () => {
    const response = await fetch(`${url()}/v1/score?x=1`, { method: "POST", body: "a".repeat(5000), headers: { "x-test": "1" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bytes: 5000 });
    const last = seen.at(-1)!;
    expect([last.method, last.url, last.bytes, last.headers["content-length"], last.headers["x-test"]]).toEqual(["POST", "/v1/score?x=1", 5000, "5000", "1"]);
  });

  it("an upload that breaks off (Content-Length lie, socket closed) is never forwarded", async () => {
    const before = seen.length;
    await raw(["POST /nonexistent HTTP/1.1\r\nHost: x\r\nContent-Length: 90000\r\n\r\n0123456789"], 200);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.length).toBe(before);
    expect(front.bufferedBytes()).toBe(0);
  });

  it("a chunked body over the limit gets 413 and the connection closes; the next request is served", async () => {
    const before = seen.length;
    const chunk = Buffer.alloc(30_000, 97);
    const parts: (string | Buffer)[] = ["POST /v1/score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"];
    for (let i = 0; i < 5; i++) parts.push(`${chunk.length.toString(16)}\r\n`, chunk, "\r\n");
    const result = await raw(parts, 2_000);
    expect(result.text).toMatch(/^HTTP\/1\.1 413/);
    expect(result.text).toContain('"payload_too_large"');
    expect(result.closedByServer).toBe(true);
    expect(seen.length).toBe(before);
    expect((await fetch(`${url()}/v1/health`)).status).toBe(200);
  });

  it("a Content-Length over the limit gets 413 without reading", async () => {
    const result = await raw(["POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 100001\r\n\r\n"], 1_000);
    expect(result.text).toMatch(/^HTTP\/1\.1 413/);
    expect(result.closedByServer).toBe(true);
  });

  it("a stalled body gets 408 after the idle timeout; a trickling one at the deadline", async () => {
    const stalled = await raw(["POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"], 3_000);
    expect(stalled.text).toMatch(/^HTTP\/1\.1 408/);
    expect(stalled.text).toContain('"request_timeout"');
    expect(stalled.ms).toBeGreaterThanOrEqual(280);
    expect(stalled.ms).toBeLessThan(1_000);

    const trickle = await new Promise<{ text: string; ms: number }>((resolve) => {
      const started = Date.now();
      let text = "";
      const socket = connect(front.port, "127.0.0.1", () => socket.write("POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
      const timer = setInterval(() => socket.write("a"), 100);
      socket.on("data", (d) => (text += d.toString()));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(timer);
        resolve({ text, ms: Date.now() - started });
      });
    });
    expect(trickle.text).toMatch(/^HTTP\/1\.1 408/);
    expect(trickle.ms).toBeGreaterThanOrEqual(1_400);
    expect(trickle.ms).toBeLessThan(2_500);
  });

  it("a client that leaves while its forwarded request runs does not cut the upstream request short", async () => {
    slowAnswerMs = 300;
    const answeredBefore = answered;
    await raw(["POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"], 100);
    await new Promise((r) => setTimeout(r, 500));
    slowAnswerMs = 0;
    expect(answered).toBe(answeredBefore + 1);
    expect(cutShort).toBe(0);
    expect(seen.at(-1)!.bytes).toBe(3);
  });

  it("beyond the buffered-bytes bound: 503 overloaded with Retry-After", async () => {
    // Two stalled uploads of 100 kB and 90 kB hold 190 kB of the 250 kB; a third of 90 kB does not fit.
    const holders = [
      raw(["POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"], 200),
      raw(["POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 90000\r\n\r\n"], 200),
    ];
    await new Promise((r) => setTimeout(r, 50));
    const response = await fetch(`${url()}/c`, { method: "POST", body: "a".repeat(90_000) });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect((await response.json()).error.code).toBe("overloaded");
    await Promise.all(holders);
    await new Promise((r) => setTimeout(r, 50));
    expect(front.bufferedBytes()).toBe(0);
  });
});

describe("while the upstream is down (wrangler dev restarting)", () => {
  it("answers 503 service_restarting with Retry-After without forwarding, and forwards again once it is up", async () => {
    let down: { retryAfterSeconds: number; reason: string } | undefined = { retryAfterSeconds: 7, reason: "wrangler dev waiting" };
    const port = (upstream.address() as { port: number }).port;
    const gated = await startHttpFront({
      host: "127.0.0.1",
      port: 0,
      upstream: { host: "127.0.0.1", port },
      maxBodyBytes: 100_000,
      idleTimeoutMs: 300,
      deadlineMs: 1_500,
      maxBufferedBytes: 250_000,
      upstreamDown: () => down,
    });
    try {
      const seenBefore = seen.length;
      const refused = await fetch(`http://127.0.0.1:${gated.port}/v1/score`, { method: "POST", body: "abc" });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("7");
      const body = (await refused.json()) as { error: { code: string; message: string; details: { retryAfterSeconds: number } } };
      expect(body.error.code).toBe("service_restarting");
      expect(body.error.details.retryAfterSeconds).toBe(7);
      expect(seen.length).toBe(seenBefore);
      down = undefined;
      const served = await fetch(`http://127.0.0.1:${gated.port}/v1/score`, { method: "POST", body: "abcd" });
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual({ bytes: 4 });
    } finally {
      await gated.close();
    }
  });

  it("answers 503 service_restarting, not 502, when the upstream refuses the connection", async () => {
    const closedPort = await new Promise<number>((ok) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    const gated = await startHttpFront({
      host: "127.0.0.1",
      port: 0,
      upstream: { host: "127.0.0.1", port: closedPort },
      maxBodyBytes: 100_000,
      idleTimeoutMs: 300,
      deadlineMs: 1_500,
      maxBufferedBytes: 250_000,
      upstreamDown: () => undefined,
    });
    try {
      const response = await fetch(`http://127.0.0.1:${gated.port}/v1/health`);
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("service_restarting");
    } finally {
      await gated.close();
    }
  });
});
