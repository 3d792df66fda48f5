// Node-only: the memory of every Worker isolate of a local `wrangler dev` (the front and each stage Worker).
//
// wrangler's inspector proxy (--inspector-port) exposes only the first Worker. workerd itself, started by wrangler with
// --inspector-addr=127.0.0.1:0, lists every isolate on its own inspector port (GET /json: ids "core:user:<worker
// name>") and accepts a DevTools session on ws://127.0.0.1:<port>/core:user:<name>. Its port is not printed anywhere, so
// it is found among the listening sockets of that workerd process (/proc), as the one whose /json lists such ids; the
// dev registry must be off (WRANGLER_REGISTRY_PATH=""), else one of those sockets is a capnp port an HTTP probe breaks.
//
// Per isolate: Runtime.getHeapUsage (usedSize: JS heap; backingStorageSize: ArrayBuffer stores, not wasm memory) plus
// the byte length of every WebAssembly.Memory of the isolate. Those are found by a probe evaluated in the isolate when
// the session opens: the memories that exist then (Runtime.queryObjects, which runs one full GC, before any load) and
// every one made later (WebAssembly.instantiate, new WebAssembly.Instance and new WebAssembly.Memory are wrapped, as in
// wasm-memory-probe.ts). The inspector is served between the isolate's tasks, so a sample never lands inside a
// synchronous run (an ORT session.run): the JS/ArrayBuffer peak inside one is not seen; wasm memory never shrinks.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import WebSocket from "ws";
import { connectDevtools, type Connection, type HeapUsage } from "./isolate-memory";
import { groupMemory } from "./proc-memory";

export interface IsolateSample {
  usedSize: number;
  backingStorageSize: number;
  wasmBytes: number;
  /** usedSize + backingStorageSize + wasmBytes. */
  total: number;
}

export interface WorkerIsolate {
  /** The Worker's name (wrangler config `name`). */
  name: string;
  sample(): Promise<IsolateSample>;
  /** Evaluates an expression in the isolate's global scope; returns its value (JSON-able). */
  evaluate<T>(expression: string): Promise<T>;
  collectGarbage(): Promise<void>;
  /**
   * Byte lengths of the isolate's live ArrayBuffers of at least `minBytes`, largest first, after the garbage collection
   * Runtime.queryObjects makes: what holds an isolate's backing stores (a detached buffer counts 0).
   */
  liveArrayBuffers(minBytes: number): Promise<number[]>;
  close(): void;
}

/** TCP ports a process listens on: its socket inodes (/proc/<pid>/fd) matched against /proc/net/tcp{,6}. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed since readdir
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (cols.length > 9 && cols[3] === "0A" && inodes.has(cols[9]!)) ports.push(Number.parseInt(cols[1]!.split(":")[1]!, 16));
    }
  }
  return [...new Set(ports)];
}

interface InspectorTarget {
  id: string;
  webSocketDebuggerUrl: string;
}

const USER_PREFIX = "core:user:";
/** Workers miniflare adds beside the user's (its dev registry proxy, observability collector). */
const MINIFLARE_WORKER = /^(miniflare-|dev-registry-proxy$)/;

async function inspectorTargets(port: number): Promise<InspectorTarget[] | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2_000) });
    const body: unknown = await response.json();
    if (!Array.isArray(body) || !body.some((t) => typeof t?.id === "string" && t.id.startsWith(USER_PREFIX))) return undefined;
    return body as InspectorTarget[];
  } catch {
    return undefined;
  }
}

/** The workerd inspector of a service's process group and the user Workers it lists (miniflare's own left out). */
export async function findWorkerTargets(pgid: number): Promise<{ port: number; workers: { name: string; url: string }[] }> {
  const runtimes = groupMemory(pgid, /^workerd/).filter((p) => p.cmdline.includes("--inspector-addr"));
  for (const runtime of runtimes) {
    // An HTTP request to workerd's capnp debug port (dev registry) breaks its RPC ("incoming RPC message exceeds size
    // limit") and wrangler dev exits: it is not told apart from the others, so it must not exist.
    if (runtime.cmdline.includes("--debug-port")) {
      throw new Error("workerd runs with a --debug-port (wrangler's dev registry): start wrangler dev with WRANGLER_REGISTRY_PATH= (empty)");
    }
    for (const port of listeningPorts(runtime.pid)) {
      const targets = await inspectorTargets(port);
      if (!targets) continue;
      const workers = targets
        .filter((t) => t.id.startsWith(USER_PREFIX) && !MINIFLARE_WORKER.test(t.id.slice(USER_PREFIX.length)))
        .map((t) => ({ name: t.id.slice(USER_PREFIX.length), url: `ws://127.0.0.1:${port}/${t.id}` }));
      return { port, workers };
    }
  }
  throw new Error(`no workerd inspector listing user Workers in process group ${pgid} (${runtimes.length} workerd with --inspector-addr)`);
}

/** Installed once per isolate: a set of its wasm memories and the sum of their sizes. */
const PROBE = `(() => {
  if (globalThis.__isolateMemoryProbe) return "present";
  const refs = [];
  const add = (v) => { if (v instanceof WebAssembly.Memory && !refs.some((r) => r.deref() === v)) refs.push(new WeakRef(v)); };
  const scan = (instance, imports) => {
    for (const v of Object.values(instance.exports)) add(v);
    for (const m of Object.values(imports ?? {})) for (const v of Object.values(m ?? {})) add(v);
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async function (source, imports) {
    const result = await instantiate.call(WebAssembly, source, imports);
    scan(result instanceof WebAssembly.Instance ? result : result.instance, imports);
    return result;
  };
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args, newTarget) {
      const memory = Reflect.construct(target, args, newTarget);
      add(memory);
      return memory;
    },
  });
  WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget);
      scan(instance, args[1]);
      return instance;
    },
  });
  globalThis.__isolateMemoryProbe = {
    add,
    bytes: () => refs.reduce((sum, r) => sum + (r.deref()?.buffer.byteLength ?? 0), 0),
  };
  return "installed";
})()`;

interface RemoteObject {
  objectId?: string;
  value?: unknown;
}
interface EvaluateResult {
  result: RemoteObject;
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

interface Session {
  connection: Connection;
  run(expression: string, returnByValue?: boolean): Promise<RemoteObject>;
}

/** A DevTools session on the isolate, with its context found and the wasm memory probe installed. */
async function openSession(name: string, url: string, timeoutMs: number): Promise<Session> {
  const connection = await connectDevtools(url, timeoutMs);
  // Evaluation needs the isolate's context: its uniqueId comes with Runtime.enable (workerd has one per isolate).
  const context = new Promise<string>((ok) =>
    connection.on("Runtime.executionContextCreated", (p) => ok((p as { context: { uniqueId: string } }).context.uniqueId)),
  );
  await connection.call("Runtime.enable");
  const uniqueContextId = await Promise.race([
    context,
    new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${name}: no execution context from the inspector`)), timeoutMs)),
  ]);
  await connection.call("Runtime.disable");
  const run = async (expression: string, returnByValue = true): Promise<RemoteObject> => {
    const r = await connection.call<EvaluateResult>("Runtime.evaluate", { expression, uniqueContextId, returnByValue, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`${name}: ${expression.slice(0, 80)}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result;
  };
  if ((await run(PROBE)).value === "installed") {
    // Memories made before the probe existed (e.g. ORT at startup): found once on the heap.
    const proto = await run("WebAssembly.Memory.prototype", false);
    const found = await connection.call<{ objects: RemoteObject }>("Runtime.queryObjects", { prototypeObjectId: proto.objectId });
    await connection.call("Runtime.callFunctionOn", {
      objectId: found.objects.objectId,
      functionDeclaration: "function () { for (const m of this) globalThis.__isolateMemoryProbe.add(m); return this.length; }",
      returnByValue: true,
    });
    await connection.call("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => undefined);
  }
  return { connection, run };
}

/**
 * workerd now and then closes a freshly opened session (seen right after the first score of a single-Worker dev
 * server): every operation reopens a closed session once and retries; the probe is installed once per isolate.
 */
export async function connectWorkerIsolate(name: string, url: string, timeoutMs = 10_000): Promise<WorkerIsolate> {
  let session: Session | undefined;
  const use = async <T>(operation: (s: Session) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        session ??= await openSession(name, url, timeoutMs);
        return await operation(session);
      } catch (e) {
        const closed = session?.connection.socket.readyState !== WebSocket.OPEN;
        if (closed) session = undefined;
        if (!closed || attempt >= 3) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  await use(async () => undefined);

  const sample = () =>
    use(async (s): Promise<IsolateSample> => {
      const heap = await s.connection.call<HeapUsage>("Runtime.getHeapUsage");
      const wasmBytes = (await s.run("globalThis.__isolateMemoryProbe.bytes()")).value as number;
      return { usedSize: heap.usedSize, backingStorageSize: heap.backingStorageSize, wasmBytes, total: heap.usedSize + heap.backingStorageSize + wasmBytes };
    });
  return {
    name,
    sample,
    evaluate: <T>(expression: string) => use(async (s) => (await s.run(expression)).value as T),
    // Runtime.queryObjects collects all garbage first. HeapProfiler.collectGarbage is not answered by an isolate that
    // gets no requests (seen on idle stage Workers) until its next request.
    collectGarbage: () =>
      use(async (s) => {
        const proto = await s.run("WebAssembly.Memory.prototype", false);
        await s.connection.call("Runtime.queryObjects", { prototypeObjectId: proto.objectId });
        await s.connection.call("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => undefined);
      }),
    liveArrayBuffers: (minBytes) =>
      use(async (s) => {
        const proto = await s.run("ArrayBuffer.prototype", false);
        const found = await s.connection.call<{ objects: RemoteObject }>("Runtime.queryObjects", { prototypeObjectId: proto.objectId });
        const lengths = await s.connection.call<{ result: RemoteObject }>("Runtime.callFunctionOn", {
          objectId: found.objects.objectId,
          functionDeclaration: `function () { return this.map((b) => b.byteLength).filter((n) => n >= ${Number(minBytes)}).sort((a, b) => b - a); }`,
          returnByValue: true,
        });
        await s.connection.call("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => undefined);
        return lengths.result.value as number[];
      }),
    close: () => session?.connection.socket.close(),
  };
}

/** Sessions on every worker isolate of the service's process group for `use`, closed after it however it ends. */
export async function withWorkerIsolates<T>(pgid: number, use: (isolates: WorkerIsolate[]) => Promise<T>): Promise<T> {
  const isolates = await connectWorkerIsolates(pgid);
  try {
    return await use(isolates);
  } finally {
    for (const isolate of isolates) isolate.close();
  }
}

/** Connects to every user Worker isolate of the service's process group, the front first. */
export async function connectWorkerIsolates(pgid: number): Promise<WorkerIsolate[]> {
  const { workers } = await findWorkerTargets(pgid);
  // One at a time: workerd closed sessions opened to several isolates at once.
  const isolates: WorkerIsolate[] = [];
  for (const w of workers) isolates.push(await connectWorkerIsolate(w.name, w.url));
  return isolates.sort((a, b) => a.name.length - b.name.length || a.name.localeCompare(b.name, "en", { numeric: true }));
}

const MB = 2 ** 20;

export interface IsolatePeak {
  name: string;
  /** The largest sampled usedSize + backingStorageSize + wasm, in MB (2^20 bytes). */
  peak_mb: number;
  /** The parts of that sample. */
  js_heap_mb: number;
  backing_mb: number;
  wasm_mb: number;
  samples: number;
  /** Sampling attempts that failed (the session closed, or the isolate did not answer in time), and the last error. */
  failed_samples: number;
  last_error?: string;
}

/**
 * Samples every isolate every `intervalMs` until stopped (one loop per isolate: a sample waits while its isolate runs
 * a synchronous ORT run, and one loop for all gave 2 samples per isolate in 16 s of ViT-B-16 scores); keeps each
 * one's peak.
 */
export function sampleIsolates(isolates: WorkerIsolate[], intervalMs: number): { stop(): Promise<IsolatePeak[]> } {
  let running = true;
  const peaks = isolates.map(() => ({ best: undefined as IsolateSample | undefined, samples: 0, failed: 0, error: undefined as Error | undefined }));
  const loops = isolates.map(async (isolate, i) => {
    while (running) {
      try {
        const s = await isolate.sample();
        peaks[i]!.samples++;
        if (!peaks[i]!.best || s.total > peaks[i]!.best!.total) peaks[i]!.best = s;
      } catch (e) {
        peaks[i]!.error = e as Error;
        peaks[i]!.failed++;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  });
  const round = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return isolates.map((isolate, i) => {
        const { best, samples, failed, error } = peaks[i]!;
        if (!best) throw new Error(`${isolate.name}: no memory sample${error ? `: ${error.message}` : ""}`);
        return {
          name: isolate.name,
          peak_mb: round(best.total),
          js_heap_mb: round(best.usedSize),
          backing_mb: round(best.backingStorageSize),
          wasm_mb: round(best.wasmBytes),
          samples,
          failed_samples: failed,
          ...(error ? { last_error: error.message.slice(0, 200) } : {}),
        };
      });
    },
  };
}
