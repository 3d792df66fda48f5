// Job retry delays: exponential from the base, capped at an hour; the base read from the worker's var.
import { describe, expect, it } from "vitest";
import { backoffBase, backoffSeconds } from "../../../src/usecases/jobs/backoff";

describe("backoffSeconds", () => {
  it("doubles from 30 s and stops at 3600 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((n) => backoffSeconds(n))).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(backoffSeconds(3, 0)).toBe(0);
  });

  it("reads WEBHOOK_BACKOFF_BASE_SECONDS, ignoring junk", () => {
    expect([backoffBase("2"), backoffBase("0"), backoffBase(undefined), backoffBase(""), backoffBase("-1"), backoffBase("soon")]).toEqual([
      2, 0, 30, 30, 30, 30,
    ]);
  });
});
