// The descendants of wrangler dev (its workerd), and ending only those still running the same command.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DescendantTracker, descendantsOf, processTable } from "../../../src/runner/process-tree";

describe("descendantsOf", () => {
  it("finds children and grandchildren, not siblings or the parent", () => {
    const table = [
      { pid: 1, ppid: 0, args: "init" },
      { pid: 10, ppid: 1, args: "node start.ts" },
      { pid: 11, ppid: 10, args: "node cli.js dev" },
      { pid: 12, ppid: 11, args: "workerd serve a" },
      { pid: 13, ppid: 11, args: "workerd serve b" },
      { pid: 14, ppid: 13, args: "helper" },
      { pid: 15, ppid: 10, args: "esbuild" },
    ];
    expect(
      descendantsOf(11, table)
        .map((e) => e.pid)
        .sort(),
    ).toEqual([12, 13, 14]);
    expect(descendantsOf(14, table)).toEqual([]);
  });
});

describe("DescendantTracker", () => {
  it("kills the grandchild a SIGKILLed child left behind, and nothing that reused a pid", async () => {
    // A shell whose child (sleep) outlives it when the shell is SIGKILLed, like workerd after wrangler.
    const shell = spawn("sh", ["-c", "sleep 30 & wait"], { stdio: "ignore" });
    const tracker = new DescendantTracker();
    let orphan: number | undefined;
    for (let i = 0; i < 50 && orphan === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      tracker.refresh(shell.pid);
      orphan = descendantsOf(shell.pid!, processTable()).find((e) => e.args.startsWith("sleep"))?.pid;
    }
    expect(orphan).toBeDefined();
    const exited = new Promise((r) => shell.once("exit", r));
    shell.kill("SIGKILL");
    await exited;
    expect(processTable().some((e) => e.pid === orphan && e.args.startsWith("sleep"))).toBe(true);
    tracker.refresh(shell.pid); // the shell is gone: the snapshot is kept
    expect(tracker.killLeftovers()).toEqual([orphan]);
    await new Promise((r) => setTimeout(r, 200));
    expect(processTable().some((e) => e.pid === orphan && e.args.startsWith("sleep"))).toBe(false);
    // A snapshot whose pid now runs another command is left alone.
    const fake = new DescendantTracker(() => [{ pid: process.pid, ppid: 1, args: "something else" }]);
    expect(fake.killLeftovers()).toEqual([]);
  });
});
