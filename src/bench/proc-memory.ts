// Linux-only: the processes of one process group and their resident memory, from /proc/<pid>/stat and status.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessMemory {
  pid: number;
  name: string;
  /** The command line, arguments separated by spaces. */
  cmdline: string;
  /** VmHWM: the peak resident set size since the process started. */
  peakRssMb: number;
  /** VmRSS: the resident set size now. */
  rssMb: number;
}

/** The process group of a pid: the fifth field of /proc/<pid>/stat (after "pid (comm) state ppid"). */
function groupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return undefined; // gone since readdir
  }
}

function statusKb(status: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
}

/** Every live process of the group, optionally only those whose name (comm, 15 characters) matches. */
export function groupMemory(pgid: number, name?: RegExp): ProcessMemory[] {
  const found: ProcessMemory[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || groupOf(pid) !== pgid) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const comm = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "";
      if (name && !name.test(comm)) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      found.push({ pid, name: comm, cmdline, peakRssMb: statusKb(status, "VmHWM") / 1024, rssMb: statusKb(status, "VmRSS") / 1024 });
    } catch {
      // gone since readdir
    }
  }
  return found;
}
