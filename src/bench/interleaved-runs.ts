// Interleaved runs: every side of a comparison is a live process (set up once, warmed up), and the sides take turns,
// one run each per cycle, so that a shared machine whose speed drifts over seconds to minutes moves all sides alike.
// Each cycle starts with a different side (rotating), so no side always runs right after the same other one.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { TimedRun } from "./serve-runs";

export interface InterleavedSide {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** One live benchmark process speaking serve-runs.ts's line protocol. */
class RunServer {
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
  ) {
    this.reader = createInterface({ input: child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  static async start(side: InterleavedSide, progress: (line: string) => void): Promise<RunServer> {
    const child = spawn(side.command, side.args, { stdio: ["pipe", "pipe", "inherit"], env: side.env ?? process.env });
    // a process that cannot start ends its stdout, which `next` reports; without a listener the error would throw here
    child.on("error", (e) => progress(`${side.name}: ${e.message}`));
    const server = new RunServer(side.name, child);
    // setup output before the ready line (progress, library banners) is not ours to parse
    for (;;) {
      if (isReadyLine(await server.next())) return server;
    }
  }

  async run(): Promise<TimedRun> {
    this.child.stdin.write("run\n");
    for (;;) {
      const line = (await this.next()).trim();
      if (!line.startsWith("{")) continue;
      const reply = JSON.parse(line) as Partial<TimedRun> & { error?: string };
      if (reply.error) throw new Error(`${this.name}: ${reply.error}`);
      if (typeof reply.ms !== "number" || typeof reply.cpu !== "number") throw new Error(`${this.name}: unexpected reply ${line}`);
      return { ms: reply.ms, cpu: reply.cpu };
    }
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    if (this.child.stdin.writable) this.child.stdin.end("exit\n");
    this.reader.close();
    await exited;
  }

  private async next(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`${this.name}: the process ended before answering (exit code ${this.child.exitCode})`);
    return r.value;
  }
}

/**
 * Starts every side (one after the other: setups do not overlap), then `cycles` cycles of one run per side, and
 * returns each side's runs in cycle order. `progress` hears a line per started side and per cycle.
 */
export async function runInterleaved(
  sides: readonly InterleavedSide[],
  cycles: number,
  progress: (line: string) => void = () => {},
): Promise<Record<string, TimedRun[]>> {
  if (!(Number.isInteger(cycles) && cycles > 0)) throw new RangeError(`runInterleaved: ${cycles} cycles`);
  const servers: RunServer[] = [];
  try {
    for (const side of sides) {
      progress(`starting ${side.name}...`);
      servers.push(await RunServer.start(side, progress));
    }
    const bySide = await runCycles(
      servers.length,
      cycles,
      (i) => servers[i]!.run(),
      (c, results) => progress(`cycle ${c + 1} of ${cycles}: ${servers.map((s, i) => `${s.name} ${Math.round(results[i]!.ms)}`).join(", ")} ms`),
    );
    return Object.fromEntries(servers.map((s, i) => [s.name, bySide[i]!]));
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

/**
 * `cycles` cycles of one `run(side, cycle)` per side, one after the other, cycle c starting with side c mod count
 * (rotation); returns each side's results in cycle order. `afterCycle` hears each cycle's results by side.
 */
export async function runCycles<T>(
  sideCount: number,
  cycles: number,
  run: (side: number, cycle: number) => Promise<T>,
  afterCycle: (cycle: number, results: T[]) => void = () => {},
): Promise<T[][]> {
  const bySide: T[][] = Array.from({ length: sideCount }, () => []);
  for (let c = 0; c < cycles; c++) {
    for (const side of rotation(sideCount, c)) bySide[side]!.push(await run(side, c));
    afterCycle(
      c,
      bySide.map((results) => results[c]!),
    );
  }
  return bySide;
}

/** The ready line of serve-runs.ts, or of another language's JSON writer (`{"ready": true}`, spaced). */
export function isReadyLine(line: string): boolean {
  const text = line.trim();
  if (!text.startsWith("{")) return false;
  try {
    return (JSON.parse(text) as { ready?: unknown }).ready === true;
  } catch {
    return false;
  }
}

/** The order of `count` sides in cycle `cycle`: starting at cycle mod count, wrapping around. */
export function rotation(count: number, cycle: number): number[] {
  return Array.from({ length: count }, (_, i) => (cycle + i) % count);
}
