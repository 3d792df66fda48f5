import { describe, expect, it } from "vitest";
import { releaseBuffer } from "../../../src/shared/release-buffer";

const detaches = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function";

describe("releaseBuffer", () => {
  it("detaches a view's buffer where the runtime can (every view then reads empty), else leaves it whole", () => {
    const a = new Float32Array(16).fill(1);
    const other = new Uint8Array(a.buffer, 8, 8);
    releaseBuffer(a);
    expect(a.length).toBe(detaches ? 0 : 16);
    expect(other.length).toBe(detaches ? 0 : 8);
  });

  it("takes a buffer itself, and a second release is harmless", () => {
    const b = new ArrayBuffer(32);
    releaseBuffer(b);
    releaseBuffer(b);
    expect(b.byteLength).toBe(detaches ? 0 : 32);
  });

  it("leaves a SharedArrayBuffer alone", () => {
    const s = new Int32Array(new SharedArrayBuffer(16));
    releaseBuffer(s);
    expect(s.length).toBe(4);
  });
});
