// Linux-only: CPU time of processes, summed over every thread's /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU).
import { readdirSync, readFileSync } from "node:fs";

/** The first field of a schedstat line: the thread's time on a CPU so far, ns. */
export function schedstatRunNs(line: string): number {
  const field = line.trim().split(/\s+/)[0] ?? "";
  if (!/^\d+$/.test(field)) throw new RangeError(`not a schedstat line: ${JSON.stringify(line.slice(0, 80))}`);
  return Number(field);
}

/** "pid/tid" -> ns on a CPU so far, for every thread of `pids` (a process or thread gone meanwhile is skipped). */
export function threadCpuNs(pids: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // the process ended
    }
    for (const tid of tids) {
      try {
        out.set(`${pid}/${tid}`, schedstatRunNs(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8")));
      } catch {
        // the thread ended since readdir
      }
    }
  }
  return out;
}

/**
 * CPU ms between two snapshots of threadCpuNs: a thread that started in between counts from 0; one that ended in
 * between is missing from `after`, so its time since `before` is not counted.
 */
export function cpuDeltaMs(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let ns = 0;
  for (const [thread, now] of after) ns += now - (before.get(thread) ?? 0);
  return ns / 1e6;
}
