import { describe, expect, it } from "vitest";
import { runCycles } from "../../../src/bench/interleaved-runs";
import { scoreMeasures, sideName } from "../../../src/bench/service-interleaved";

describe("runCycles", () => {
  it("alternates which side goes first and returns each side's results in cycle order", async () => {
    const calls: string[] = [];
    const seen: string[][] = [];
    const bySide = await runCycles(
      2,
      4,
      async (side, cycle) => {
        calls.push(`${side}@${cycle}`);
        return `${side}:${cycle}`;
      },
      (_c, results) => seen.push(results),
    );
    expect(calls).toEqual(["0@0", "1@0", "1@1", "0@1", "0@2", "1@2", "1@3", "0@3"]);
    expect(bySide).toEqual([
      ["0:0", "0:1", "0:2", "0:3"],
      ["1:0", "1:1", "1:2", "1:3"],
    ]);
    // afterCycle hears the cycle's results by side, not in the order they ran
    expect(seen[1]).toEqual(["0:1", "1:1"]);
  });

  it("stops at the first failing run", async () => {
    let runs = 0;
    await expect(
      runCycles(2, 3, async (side, cycle) => {
        runs++;
        if (cycle === 1 && side === 1) throw new Error("boom");
        return 0;
      }),
    ).rejects.toThrow("boom");
    expect(runs).toBe(3); // cycle 0: both; cycle 1: side 1 first, which fails
  });
});

describe("scoreMeasures", () => {
  it("names the client, CPU, Server-Timing and body timings apart", () => {
    expect(scoreMeasures(812.5, 790.25, { stages: 743, hop: 12 }, { inference: 760, total: 800 })).toEqual({
      client_ms: 812.5,
      workerd_cpu_ms: 790.25,
      stages_ms: 743,
      hop_ms: 12,
      "server.inference": 760,
      "server.total": 800,
    });
  });
});

describe("sideName", () => {
  it("lists the vars, or says defaults", () => {
    expect(sideName({})).toBe("defaults");
    expect(sideName({ ENGINE: "ort", MODEL_NAME: "b" })).toBe("ENGINE=ort MODEL_NAME=b");
  });
});
