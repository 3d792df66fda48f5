// Node-only: keeps one child process (npm start's `wrangler dev`) running: restarts it with a backoff when it exits
// without being asked to, and says whether it can take requests now (the HTTP front answers 503 while it cannot).

/** What the supervisor needs of a child process (node's ChildProcess has it; tests pass a fake). */
export interface SupervisedChild {
  readonly pid?: number | undefined;
  kill(signal: NodeJS.Signals): boolean;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

export type SupervisorState = "starting" | "up" | "waiting" | "stopping" | "stopped";

export interface SupervisorOptions {
  /** Starts the child; called again, with the same arguments, for every restart. */
  spawn(): SupervisedChild;
  /** Whether the child answers requests yet; polled while it is starting. */
  isReady(): Promise<boolean>;
  /** Called after each exit of the child, before any restart (e.g. to end grandchildren it left behind). */
  afterExit?(child: SupervisedChild): void | Promise<void>;
  log(line: string): void;
  /** Name in the log lines. */
  name: string;
  /** First restart delay; doubles per unexpected exit up to maxBackoffMs; back to this after healthyResetMs up. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  healthyResetMs?: number;
  readyPollMs?: number;
  /** After stop(signal), SIGKILL when the child has not exited within this. */
  stopGraceMs?: number;
  now?: () => number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Supervisor {
  state(): SupervisorState;
  /** Restarts after unexpected exits so far. */
  restarts(): number;
  /** Delay before the next restart (the current backoff). */
  nextBackoffMs(): number;
  /** When a client should try again while the child is not up: the rest of the backoff plus the last startup time. */
  retryAfterSeconds(): number;
  /** Sends `signal` to the child and resolves with its exit; no restart after it. A second call sends SIGKILL. */
  stop(signal: NodeJS.Signals): Promise<ChildExit>;
}

export function superviseChild(options: SupervisorOptions): Supervisor {
  const initial = options.initialBackoffMs ?? 1_000;
  const max = options.maxBackoffMs ?? 30_000;
  const healthyReset = options.healthyResetMs ?? 60_000;
  const readyPoll = options.readyPollMs ?? 250;
  const stopGrace = options.stopGraceMs ?? 10_000;
  const now = options.now ?? Date.now;

  let state: SupervisorState = "starting";
  let child: SupervisedChild | undefined;
  let restarts = 0;
  let backoff = initial;
  let startedAt = 0;
  let readyAt: number | undefined;
  /** How long the last start took until ready; a guess before the first one. */
  let startupMs = 5_000;
  let restartAt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let stopped: Promise<ChildExit> | undefined;
  let resolveStopped: ((exit: ChildExit) => void) | undefined;

  const pollReady = (current: SupervisedChild) => {
    pollTimer = setTimeout(async () => {
      const ready = await options.isReady().catch(() => false);
      if (child !== current || state !== "starting") return;
      if (!ready) return pollReady(current);
      readyAt = now();
      startupMs = readyAt - startedAt;
      state = "up";
      if (restarts > 0) options.log(`${options.name} is up again after restart ${restarts} (started in ${(startupMs / 1000).toFixed(1)} s)`);
    }, readyPoll);
  };

  const launch = () => {
    state = "starting";
    startedAt = now();
    readyAt = undefined;
    const current = options.spawn();
    child = current;
    current.once("exit", (code, signal) => void onExit(current, { code, signal }));
    pollReady(current);
  };

  const onExit = async (exited: SupervisedChild, exit: ChildExit) => {
    if (exited !== child) return;
    clearTimeout(pollTimer);
    const ranMs = readyAt === undefined ? 0 : now() - readyAt;
    child = undefined;
    if (state !== "stopping") state = "waiting";
    await options.afterExit?.(exited);
    // Asked to stop, before the exit or while afterExit ran: no restart.
    if (state === "stopping") {
      state = "stopped";
      resolveStopped?.(exit);
      return;
    }
    if (ranMs >= healthyReset) backoff = initial;
    const delay = backoff;
    backoff = Math.min(backoff * 2, max);
    restarts++;
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    const ran = readyAt === undefined ? "before it was ready" : `after ${(ranMs / 1000).toFixed(1)} s up`;
    options.log(`${options.name} exited unexpectedly (${how}) ${ran}; restart ${restarts} in ${delay / 1000} s`);
    restartAt = now() + delay;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      launch();
    }, delay);
  };

  launch();

  return {
    state: () => state,
    restarts: () => restarts,
    nextBackoffMs: () => backoff,
    retryAfterSeconds: () => {
      const waiting = state === "waiting" ? Math.max(0, restartAt - now()) : 0;
      const starting = state === "starting" ? Math.max(0, startupMs - (now() - startedAt)) : startupMs;
      return Math.max(1, Math.ceil((waiting + starting) / 1000));
    },
    stop(signal) {
      if (stopped) {
        child?.kill("SIGKILL");
        return stopped;
      }
      clearTimeout(pollTimer);
      const current = child;
      if (!current) {
        if (restartTimer !== undefined) {
          // Waiting to restart: nothing runs.
          clearTimeout(restartTimer);
          restartTimer = undefined;
          state = "stopped";
          stopped = Promise.resolve({ code: null, signal: null });
        } else {
          // afterExit of an unexpected exit is still running: onExit resolves when it is done.
          state = "stopping";
          stopped = new Promise<ChildExit>((r) => (resolveStopped = r));
        }
        return stopped;
      }
      state = "stopping";
      stopped = new Promise<ChildExit>((r) => (resolveStopped = r));
      current.kill(signal);
      const force = setTimeout(() => current.kill("SIGKILL"), stopGrace);
      force.unref?.();
      void stopped.then(() => clearTimeout(force));
      return stopped;
    },
  };
}
