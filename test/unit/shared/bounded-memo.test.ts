import { describe, expect, it } from "vitest";
import { boundedMemo } from "../../../src/shared/bounded-memo";

describe("boundedMemo", () => {
  it("makes each key's value once, keeps at most max, and drops the first made first", () => {
    let made = 0;
    const memo = boundedMemo(
      2,
      (n: number) => String(n),
      (n: number) => ({ n, id: made++ }),
    );
    const a = memo(1);
    expect(memo(1)).toBe(a);
    const b = memo(2);
    expect(made).toBe(2);
    memo(3); // over the bound: 1 is dropped
    expect(memo(2)).toBe(b);
    expect(made).toBe(3);
    const again = memo(1);
    expect(again).not.toBe(a);
    expect(again.n).toBe(1);
    expect(made).toBe(4);
  });
});
