import { describe, expect, it } from "vitest";
import { cpuDeltaMs, schedstatRunNs, threadCpuNs } from "../../../src/bench/proc-cpu";

describe("schedstatRunNs", () => {
  it("reads the first field (ns on a CPU), not the wait time or the slice count", () => {
    expect(schedstatRunNs("123456789 5000 42\n")).toBe(123456789);
    expect(schedstatRunNs("  7 0 1")).toBe(7);
  });

  it("refuses a line that does not start with a count", () => {
    expect(() => schedstatRunNs("")).toThrow(RangeError);
    expect(() => schedstatRunNs("-5 1 1")).toThrow(RangeError);
    expect(() => schedstatRunNs("abc 1 1")).toThrow(RangeError);
  });
});

describe("cpuDeltaMs", () => {
  it("sums every thread's growth, counts a new thread from 0 and skips one that ended", () => {
    const before = new Map([
      ["10/10", 1_000_000],
      ["10/11", 5_000_000],
      ["20/20", 9_000_000], // ended before `after`
    ]);
    const after = new Map([
      ["10/10", 3_500_000], // +2.5 ms
      ["10/11", 5_000_000], // idle
      ["10/12", 1_000_000], // started in between: +1 ms
    ]);
    expect(cpuDeltaMs(before, after)).toBe(3.5);
  });
});

describe("threadCpuNs", () => {
  it("finds this process's threads, whose CPU time only grows, and skips a process that does not exist", () => {
    const first = threadCpuNs([process.pid, 2 ** 30]);
    expect(first.get(`${process.pid}/${process.pid}`)).toBeGreaterThan(0);
    expect([...first.keys()].every((k) => k.startsWith(`${process.pid}/`))).toBe(true);
    let x = 0;
    for (let i = 0; i < 1e6; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    expect(cpuDeltaMs(first, threadCpuNs([process.pid]))).toBeGreaterThan(0);
  });
});
