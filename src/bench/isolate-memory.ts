// Node-only: the worker isolate's memory through its DevTools inspector (wrangler dev --inspector-port N).
import WebSocket from "ws";

/** Runtime.getHeapUsage of the isolate. backingStorageSize counts ArrayBuffer stores but not WebAssembly.Memory. */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize: number;
}

export interface IsolateInspector {
  heapUsage(): Promise<HeapUsage>;
  close(): void;
}

/** One DevTools-protocol session over a WebSocket: calls, and the events the other side sends. */
export interface Connection {
  socket: WebSocket;
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Calls `listener` with the params of every event named `method`. */
  on(method: string, listener: (params: unknown) => void): void;
}

export async function connectDevtools(url: string, timeoutMs: number): Promise<Connection> {
  const socket = new WebSocket(url);
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`inspector ${url} did not open in ${timeoutMs} ms`)), timeoutMs);
    socket.once("open", () => {
      clearTimeout(timer);
      ok();
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      fail(e);
    });
  });
  let nextId = 1;
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  const listeners = new Map<string, ((params: unknown) => void)[]>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
    if (message.id === undefined && message.method) for (const listener of listeners.get(message.method) ?? []) listener(message.params);
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) return; // events, and the proxy's own calls
    pending.delete(message.id!);
    if (message.error) waiting.fail(new Error(message.error.message));
    else waiting.ok(message.result);
  });
  socket.on("error", () => undefined); // surfaced as "close"
  socket.on("close", (code, reason) => {
    for (const waiting of pending.values()) waiting.fail(new Error(`inspector closed (${code} ${String(reason)})`));
    pending.clear();
  });
  const call = <T>(method: string, params?: Record<string, unknown>): Promise<T> =>
    new Promise<T>((ok, fail) => {
      if (socket.readyState !== WebSocket.OPEN) return fail(new Error("inspector closed"));
      const id = nextId++;
      const timer = setTimeout(() => pending.delete(id) && fail(new Error(`${method}: no answer in ${timeoutMs} ms`)), timeoutMs);
      pending.set(id, {
        ok: (v) => {
          clearTimeout(timer);
          ok(v as T);
        },
        fail: (e) => {
          clearTimeout(timer);
          fail(e);
        },
      });
      socket.send(JSON.stringify(params ? { id, method, params } : { id, method }));
    });
  const on = (method: string, listener: (params: unknown) => void) => listeners.set(method, [...(listeners.get(method) ?? []), listener]);
  return { socket, call, on };
}

const connect = (port: number, timeoutMs: number) => connectDevtools(`ws://127.0.0.1:${port}/ws`, timeoutMs);

/**
 * Runtime.getHeapUsage over ws://127.0.0.1:PORT/ws (wrangler's inspector proxy, one client at a time). wrangler may
 * drop the connection (e.g. when it restarts the runtime): a call then reconnects once and retries.
 */
export async function connectIsolateInspector(port: number, timeoutMs = 10_000): Promise<IsolateInspector> {
  // wrangler may answer on its HTTP port a moment before its inspector proxy listens: retry refused connections.
  const deadline = Date.now() + 30_000;
  const open = async (): Promise<Connection> => {
    for (;;) {
      try {
        return await connect(port, timeoutMs);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  let connection = await open();
  const heapUsage = async (): Promise<HeapUsage> => {
    try {
      return await connection.call<HeapUsage>("Runtime.getHeapUsage");
    } catch {
      connection.socket.terminate();
      connection = await connect(port, timeoutMs);
      return connection.call<HeapUsage>("Runtime.getHeapUsage");
    }
  };
  return { heapUsage, close: () => connection.socket.close() };
}
