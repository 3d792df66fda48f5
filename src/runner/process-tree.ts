// Node-only: the processes a child started (wrangler's workerd), so that they can be ended when the child died
// without ending them itself (kill -9, a crash): they would keep its ports and state open, and a restart would fail.
import { execFileSync } from "node:child_process";

export interface ProcessEntry {
  pid: number;
  ppid: number;
  args: string;
}

/** Every process, from `ps` (Linux and macOS). */
export function processTable(): ProcessEntry[] {
  const text = execFileSync("ps", ["-A", "-o", "pid=,ppid=,args="], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const entries: ProcessEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) entries.push({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! });
  }
  return entries;
}

/** The descendants of `pid` in `table` (children, their children, ...). */
export function descendantsOf(pid: number, table: ProcessEntry[]): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const next = new Set<number>();
    for (const entry of table) {
      if (parents.has(entry.ppid) && !found.some((f) => f.pid === entry.pid)) {
        found.push(entry);
        next.add(entry.pid);
      }
    }
    parents = next;
  }
  return found;
}

/**
 * Remembers the descendants of one child as last seen (refresh() while it runs) and SIGKILLs those still running
 * afterwards. A pid is killed only if it still runs the same command line, so a reused pid is left alone.
 */
export class DescendantTracker {
  private seen: ProcessEntry[] = [];

  constructor(private readonly table: () => ProcessEntry[] = processTable) {}

  refresh(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      const found = descendantsOf(pid, this.table());
      // Empty once the child has died: keep what was seen while it ran.
      if (found.length > 0) this.seen = found;
    } catch {
      // ps failed: keep the previous snapshot.
    }
  }

  /** Kills the remembered descendants that still run; returns their pids. */
  killLeftovers(): number[] {
    const remembered = this.seen;
    this.seen = [];
    if (remembered.length === 0) return [];
    const running = new Map(this.table().map((e) => [e.pid, e.args]));
    const killed: number[] = [];
    for (const entry of remembered) {
      if (running.get(entry.pid) !== entry.args) continue;
      try {
        process.kill(entry.pid, "SIGKILL");
        killed.push(entry.pid);
      } catch {
        // Gone meanwhile.
      }
    }
    return killed;
  }
}
