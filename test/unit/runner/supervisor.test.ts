// The supervisor of npm start's wrangler dev, on fake child processes and fake timers.
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type SupervisedChild, superviseChild } from "../../../src/runner/supervisor";

class FakeChild extends EventEmitter implements SupervisedChild {
  readonly signals: NodeJS.Signals[] = [];
  constructor(readonly pid: number) {
    super();
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.emit("exit", code, signal);
  }
}

function harness(options: { exitOn?: NodeJS.Signals[] } = {}) {
  const children: FakeChild[] = [];
  const lines: string[] = [];
  const afterExit: number[] = [];
  let ready = true;
  const supervisor = superviseChild({
    name: "fake",
    spawn: () => {
      const child = new FakeChild(children.length + 1);
      if (options.exitOn) {
        const kill = child.kill.bind(child);
        child.kill = (signal) => {
          kill(signal);
          if (options.exitOn!.includes(signal)) queueMicrotask(() => child.exit(null, signal));
          return true;
        };
      }
      children.push(child);
      return child;
    },
    isReady: async () => ready,
    afterExit: (child) => void afterExit.push(child.pid!),
    log: (line) => lines.push(line),
    initialBackoffMs: 1_000,
    maxBackoffMs: 8_000,
    healthyResetMs: 60_000,
    readyPollMs: 100,
    stopGraceMs: 5_000,
  });
  return {
    supervisor,
    children,
    lines,
    afterExit,
    setReady: (r: boolean) => {
      ready = r;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("superviseChild", () => {
  it("is starting until the child answers, then up", async () => {
    const h = harness();
    h.setReady(false);
    expect(h.supervisor.state()).toBe("starting");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.supervisor.state()).toBe("starting");
    h.setReady(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(h.supervisor.state()).toBe("up");
  });

  it("restarts the child after an unexpected exit, after the backoff, and logs one line", async () => {
    const h = harness();
    await vi.advanceTimersByTimeAsync(100);
    h.children[0]!.exit(null, "SIGKILL");
    await vi.advanceTimersByTimeAsync(0);
    expect(h.supervisor.state()).toBe("waiting");
    expect(h.afterExit).toEqual([1]);
    expect(h.lines).toEqual([expect.stringMatching(/^fake exited unexpectedly \(signal SIGKILL\) after 0\.0 s up; restart 1 in 1 s$/)]);
    expect(h.supervisor.retryAfterSeconds()).toBeGreaterThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.children).toHaveLength(2);
    expect(h.supervisor.state()).toBe("starting");
    await vi.advanceTimersByTimeAsync(100);
    expect(h.supervisor.state()).toBe("up");
    expect(h.supervisor.restarts()).toBe(1);
  });

  it("does not restart after a requested stop, and resolves with the child's exit", async () => {
    const h = harness({ exitOn: ["SIGTERM"] });
    await vi.advanceTimersByTimeAsync(100);
    const exit = await h.supervisor.stop("SIGTERM");
    expect(exit).toEqual({ code: null, signal: "SIGTERM" });
    expect(h.children[0]!.signals).toEqual(["SIGTERM"]);
    expect(h.supervisor.state()).toBe("stopped");
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.children).toHaveLength(1);
    expect(h.lines).toEqual([]);
  });

  it("SIGKILLs a child that ignores the stop signal after the grace period, or at a second stop", async () => {
    const h = harness();
    await vi.advanceTimersByTimeAsync(100);
    const stopped = h.supervisor.stop("SIGINT");
    await vi.advanceTimersByTimeAsync(4_999);
    expect(h.children[0]!.signals).toEqual(["SIGINT"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.children[0]!.signals).toEqual(["SIGINT", "SIGKILL"]);
    void h.supervisor.stop("SIGINT");
    expect(h.children[0]!.signals).toEqual(["SIGINT", "SIGKILL", "SIGKILL"]);
    h.children[0]!.exit(null, "SIGKILL");
    expect(await stopped).toEqual({ code: null, signal: "SIGKILL" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.children).toHaveLength(1);
  });

  it("a stop while waiting to restart cancels the restart", async () => {
    const h = harness();
    await vi.advanceTimersByTimeAsync(100);
    h.children[0]!.exit(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.supervisor.state()).toBe("waiting");
    await h.supervisor.stop("SIGINT");
    expect(h.supervisor.state()).toBe("stopped");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.children).toHaveLength(1);
  });

  it("doubles the backoff per quick crash up to the maximum, and resets it after a minute up", async () => {
    const h = harness();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(100); // ready
      const before = h.children.length;
      h.children.at(-1)!.exit(1);
      const exitedAt = Date.now();
      while (h.children.length === before) await vi.advanceTimersByTimeAsync(100);
      delays.push(Date.now() - exitedAt);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(h.lines.at(-1)).toMatch(/code 1.*restart 6 in 8 s$/);

    // Up for a minute: the next crash restarts after the initial backoff again.
    await vi.advanceTimersByTimeAsync(60_100);
    expect(h.supervisor.state()).toBe("up");
    h.children.at(-1)!.exit(1);
    const exitedAt = Date.now();
    const before = h.children.length;
    while (h.children.length === before) await vi.advanceTimersByTimeAsync(100);
    expect(Date.now() - exitedAt).toBe(1_000);
    // And doubles again from there.
    expect(h.supervisor.nextBackoffMs()).toBe(2_000);
  });

  it("restarts a child that exits before it was ever ready, and says so", async () => {
    const h = harness();
    h.setReady(false);
    await vi.advanceTimersByTimeAsync(500);
    h.children[0]!.exit(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.lines[0]).toMatch(/exited unexpectedly \(code 1\) before it was ready; restart 1 in 1 s/);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.children).toHaveLength(2);
  });
});
