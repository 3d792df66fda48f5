// Server-Timing as the bench reads it: the front's stage round trips (`stages`) and hop overhead (`hop`).
import { describe, expect, it } from "vitest";
import { parseServerTiming } from "../../../src/bench/server-timing";

describe("parseServerTiming", () => {
  it("reads every entry's duration", () => {
    expect(parseServerTiming("stages;dur=812.5, hop;dur=14.25")).toEqual({ stages: 812.5, hop: 14.25 });
    expect(parseServerTiming('hop;desc="stage RPC";dur=3')).toEqual({ hop: 3 });
  });

  it("leaves out entries without a numeric duration, and a missing header gives nothing", () => {
    expect(parseServerTiming("miss, db;dur=abc, cpu;dur=2")).toEqual({ cpu: 2 });
    expect(parseServerTiming(null)).toEqual({});
  });
});
