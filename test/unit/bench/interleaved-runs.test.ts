import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isReadyLine, rotation, runInterleaved } from "../../../src/bench/interleaved-runs";

const fixture = join(import.meta.dirname, "fixtures", "logging-run-server.ts");
const side = (name: string, log: string, ...extra: string[]) => ({
  name,
  command: process.execPath,
  args: ["--import", "tsx", fixture, name, log, ...extra],
});

describe("rotation", () => {
  it("starts each cycle at the next side and wraps around", () => {
    expect(rotation(3, 0)).toEqual([0, 1, 2]);
    expect(rotation(3, 1)).toEqual([1, 2, 0]);
    expect(rotation(3, 5)).toEqual([2, 0, 1]);
  });
});

describe("isReadyLine", () => {
  it("takes the ready object however its JSON is spaced, and nothing else", () => {
    expect(isReadyLine('{"ready":true}')).toBe(true);
    expect(isReadyLine(' {"ready": true}\n')).toBe(true); // Python's json.dumps
    expect(isReadyLine('{"ready": false}')).toBe(false);
    expect(isReadyLine('{"ms": 1, "cpu": 1}')).toBe(false);
    expect(isReadyLine("ready")).toBe(false);
    expect(isReadyLine("{not json")).toBe(false);
  });
});

describe("runInterleaved", () => {
  it("runs the live sides in turn, one run each per cycle in rotating order, and times every run", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "interleave-")), "order.log");
    const runs = await runInterleaved([side("a", log), side("b", log), side("c", log)], 4);
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]);
    for (const name of ["a", "b", "c"]) {
      expect(runs[name]).toHaveLength(4);
      // each run busy-waits 5 ms in the side's process
      for (const r of runs[name]!) {
        expect(r.ms).toBeGreaterThanOrEqual(5);
        expect(r.cpu).toBeGreaterThan(0);
      }
    }
  }, 60_000);

  it("names a side that ends before it is ready, and stops the sides already started", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "interleave-")), "order.log");
    await expect(runInterleaved([side("a", log), side("broken", log, "exit-before-ready")], 2)).rejects.toThrow(/broken: the process ended/);
  }, 60_000);

  it("refuses a cycle count that is not a positive whole number", async () => {
    await expect(runInterleaved([], 0)).rejects.toThrow(RangeError);
    await expect(runInterleaved([], 1.5)).rejects.toThrow(RangeError);
  });
});
