// Node-only: the HTTP front of the local runner (npm start). Takes each request body whole, within the body limits,
// and only then forwards it to `wrangler dev`; answers 413/408 itself and never passes on a broken or partial body.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FrontOptions {
  host: string;
  port: number;
  /** wrangler dev's own address (loopback, a free port). */
  upstream: { host: string; port: number };
  maxBodyBytes: number;
  idleTimeoutMs: number;
  deadlineMs: number;
  /** Bytes of bodies held at once across requests (being received or forwarded); beyond it 503 overloaded. */
  maxBufferedBytes: number;
  /**
   * Whether the upstream can take requests now (undefined: yes). When it cannot (wrangler dev restarting), requests
   * are answered 503 service_restarting with Retry-After instead of waiting or failing with 502.
   */
  upstreamDown?: () => { retryAfterSeconds: number; reason: string } | undefined;
}

export interface RunningFront {
  server: Server;
  port: number;
  /** Body bytes held right now. */
  bufferedBytes(): number;
  close(): Promise<void>;
}

/**
 * Why: wrangler dev's ProxyWorker forwards each request to the user worker with fetch(); when that fetch fails, e.g.
 * because the client's upload broke off mid-body ("Network connection lost"), it reports the error to wrangler's
 * ProxyController, and wrangler treats every such report as fatal and exits. So the local runner must never hand
 * wrangler a body that can break: this front receives the body completely (or answers the client itself), forwards
 * the complete bytes, and never aborts a forwarded request when the client goes away (it reads and drops the answer).
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length", "expect"]);

function errorJson(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: Record<string, number>,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } });
  // The rest of the request is not read: the connection closes after this answer.
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), connection: "close", ...headers });
  res.end(body);
}

function forwardHeaders(headers: IncomingHttpHeaders, length: number | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  if (length !== undefined) out["content-length"] = String(length);
  return out;
}

function hasBodyMethod(method: string | undefined): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "DELETE" && method !== "OPTIONS";
}

function declaredLength(req: IncomingMessage): number | undefined {
  if (req.headers["transfer-encoding"] !== undefined) return undefined;
  const value = req.headers["content-length"];
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

export async function startHttpFront(options: FrontOptions): Promise<RunningFront> {
  let buffered = 0;
  const guarded = new WeakSet<Socket>();

  /** Answers 503 service_restarting when the upstream is down; true if it did. */
  const refusedWhileDown = (res: ServerResponse): boolean => {
    const down = options.upstreamDown?.();
    if (!down) return false;
    const retryAfterSeconds = down.retryAfterSeconds;
    const message = `the service is restarting (${down.reason}); retry in ${retryAfterSeconds} s`;
    errorJson(res, 503, "service_restarting", message, { retryAfterSeconds }, { "retry-after": String(retryAfterSeconds) });
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (refusedWhileDown(res)) return;
    const declared = declaredLength(req);
    const hasBody = declared !== undefined ? declared > 0 : req.headers["transfer-encoding"] !== undefined;
    if (declared !== undefined && declared > options.maxBodyBytes) {
      errorJson(res, 413, "payload_too_large", `request bodies are limited to ${options.maxBodyBytes} bytes`, { maxBytes: options.maxBodyBytes });
      return;
    }
    // What this request may come to hold: its declared length, or the limit for a chunked body.
    const reserve = hasBody ? (declared ?? options.maxBodyBytes) : 0;
    if (reserve > 0 && buffered > 0 && buffered + reserve > options.maxBufferedBytes) {
      errorJson(res, 503, "overloaded", "the service is receiving too many uploads; retry shortly", { retryAfterSeconds: 1 }, { "retry-after": "1" });
      return;
    }
    buffered += reserve;
    let released = false;
    const release = () => {
      if (!released) buffered -= reserve;
      released = true;
    };
    res.on("close", release);

    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const deadline = setTimeout(
      () => fail(408, "request_timeout", `the request body was not complete within ${options.deadlineMs / 1000} s`),
      options.deadlineMs,
    );
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => fail(408, "request_timeout", `no request body data for ${options.idleTimeoutMs / 1000} s`), options.idleTimeoutMs);
    };
    const stopTimers = () => {
      clearTimeout(idle);
      clearTimeout(deadline);
    };
    const fail = (status: number, code: string, message: string, details?: Record<string, number>) => {
      if (settled) return;
      settled = true;
      stopTimers();
      chunks.length = 0;
      req.removeAllListeners("data");
      req.pause();
      errorJson(res, status, code, message, details ?? { idleTimeoutSeconds: options.idleTimeoutMs / 1000, deadlineSeconds: options.deadlineMs / 1000 });
      release();
      // Whatever the client still sends is not read; the socket closes once the answer is written.
      res.once("finish", () => req.socket.destroy());
    };
    armIdle();
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBodyBytes) {
        fail(413, "payload_too_large", `request bodies are limited to ${options.maxBodyBytes} bytes`, { maxBytes: options.maxBodyBytes });
        return;
      }
      chunks.push(chunk);
      armIdle();
    });
    // The client went away before its body was complete: nothing is forwarded.
    const drop = () => {
      if (settled) return;
      settled = true;
      stopTimers();
      chunks.length = 0;
      release();
    };
    req.on("close", () => {
      if (!req.complete) drop();
    });
    req.on("error", drop);
    req.on("end", () => {
      if (settled) return;
      settled = true;
      stopTimers();
      const body = Buffer.concat(chunks, size);
      chunks.length = 0;
      forward(req, res, body, release);
    });
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, release: () => void) => {
    // It may have gone down while the body was being received.
    if (refusedWhileDown(res)) {
      release();
      return;
    }
    const upstream = httpRequest(
      {
        host: options.upstream.host,
        port: options.upstream.port,
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req.headers, body.length > 0 || hasBodyMethod(req.method) ? body.length : undefined),
      },
      (answer) => {
        release();
        if (res.destroyed) {
          // The client is gone: read the answer to its end and drop it; the upstream request is never cut short.
          answer.resume();
          return;
        }
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || (HOP_BY_HOP.has(name) && name !== "content-length")) continue;
          headers[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
        res.on("close", () => answer.resume());
      },
    );
    // Node's keep-alive client drops its socket error listener when the answer ends (responseKeepAlive) even if the
    // body is still being written; wrangler dev answering early (503 overloaded before it read a large upload) then
    // resets the connection, and that write's ECONNRESET on a listener-less socket killed npm start (seen with 8
    // concurrent 16.8 MB uploads). A socket error after the answer has nothing left to report.
    // Once per socket: a keep-alive socket serves many requests (a listener per request piled up on it).
    upstream.on("socket", (socket) => {
      if (!guarded.has(socket)) {
        guarded.add(socket);
        socket.on("error", () => undefined);
      }
    });
    upstream.on("error", (e) => {
      release();
      // It went down during the request (the runtime's writes are crash-safe; the client retries), or is not
      // listening yet although its exit has not been seen.
      if (refusedWhileDown(res)) return;
      if ((e as NodeJS.ErrnoException).code === "ECONNREFUSED" && options.upstreamDown) {
        errorJson(res, 503, "service_restarting", "the service is restarting; retry in 1 s", { retryAfterSeconds: 1 }, { "retry-after": "1" });
        return;
      }
      errorJson(res, 502, "internal", `the worker runtime did not answer (${(e as NodeJS.ErrnoException).code ?? e.message})`);
    });
    upstream.end(body);
  };

  const server = createServer(handle);
  // Headers must arrive within 20 s; bodies have their own idle timeout and deadline above; answers may take long.
  server.headersTimeout = 20_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    bufferedBytes: () => buffered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
