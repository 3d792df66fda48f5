import { describe, expect, it } from "vitest";
import { parseProfileOutput, summariseProfile } from "../../../src/bench/encoder-profile";

const node = (op: string, ts: number, dur: number, shape: number[]) =>
  `{"cat" : "Node","pid" :1,"tid" :1,"dur" :${dur},"ts" :${ts},"ph" : "X","name" :"n_${op}_${ts}_kernel_time","args" : {"op_name" : "${op}","input_type_shape" : [{"float":[${shape.join(",")}]}]}},`;
const fence = (ts: number) => `{"cat" : "Node","pid" :1,"tid" :1,"dur" :5,"ts" :${ts},"ph" : "X","name" :"n_x_fence_before","args" : {"op_name" : "MatMul"}},`;
const run = (ts: number, dur: number) => `{"cat" : "Session","pid" :1,"tid" :1,"dur" :${dur},"ts" :${ts},"ph" : "X","name" :"model_run","args" : {}},`;

describe("ORT profile summary", () => {
  const printed = [
    "[",
    `{"cat" : "Session","pid" :1,"tid" :1,"dur" :900,"ts" :0,"ph" : "X","name" :"session_initialization","args" : {}},`,
    // warm-up run: left out
    node("MatMul", 1000, 5000, [2, 3]),
    run(1000, 6000),
    node("MatMul", 10000, 3000, [2, 3]),
    node("MatMul", 13000, 1000, [4, 4]),
    fence(14000),
    node("Softmax", 14100, 1000, [4]),
    run(10000, 5500),
    node("MatMul", 20000, 5000, [2, 3]),
    node("Softmax", 25000, 1000, [4]),
    `{"cat" : "Session","pid" :1,"tid" :1,"dur" :6500,"ts" :20000,"ph" : "X","name" :"model_run","args" : {}}`,
    "]",
  ].join("\n");

  it("parses every event line and groups the kernels per op type, per run, without the warm-up", () => {
    const events = parseProfileOutput(`noise before\n${printed}\nnoise after`);
    expect(events).toHaveLength(11);
    const s = summariseProfile(events, 1);
    expect(s.runs).toBe(2);
    expect(s.modelRunMs).toBe(6);
    expect(s.nodeMs).toBe(5.5); // (3 + 1 + 1 + 5 + 1) / 2 ms; the fence event is not a kernel
    expect(s.rows.map((r) => [r.opType, r.count, r.ms])).toEqual([
      ["MatMul", 1.5, 4.5],
      ["Softmax", 1, 1],
    ]);
    expect(s.rows[0]!.percent).toBe(81.8);
    expect(s.detail[0]).toMatchObject({ opType: "MatMul", shapes: "[float:[2,3]]", count: 1, ms: 4 });
  });

  it("refuses a profile without a run after the warm-up", () => {
    expect(() => summariseProfile(parseProfileOutput(`[\n${run(0, 10)}\n]`), 1)).toThrow(/model_run/);
  });
});
