// The request-body pool: exclusive checkout, reuse after release, and its byte bound on what it keeps.
import { describe, expect, it } from "vitest";
import { BytePool } from "../../../src/shared/byte-pool";

describe("BytePool", () => {
  it("hands a buffer to one holder at a time and reuses it after release", () => {
    const pool = new BytePool(1 << 20);
    const a = pool.checkout(100_000);
    const b = pool.checkout(100_000);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.buffer.byteLength).toBeGreaterThanOrEqual(100_000);
    const first = a.buffer;
    a.release();
    const c = pool.checkout(90_000);
    expect(c.buffer).toBe(first);
    const d = pool.checkout(90_000);
    expect(d.buffer).not.toBe(first);
    expect(d.buffer).not.toBe(b.buffer);
    expect(pool.checkedOut).toBe(3);
    for (const lease of [b, c, d]) lease.release();
    expect(pool.checkedOut).toBe(0);
  });

  it("gives the smallest free buffer that fits; a released lease gives back the buffer it holds now", () => {
    const pool = new BytePool(1 << 22);
    const small = pool.checkout(70_000);
    const large = pool.checkout(1_000_000);
    const [smallBuffer, largeBuffer] = [small.buffer, large.buffer];
    large.release();
    small.release();
    expect(pool.checkout(10).buffer).toBe(smallBuffer);
    const lease = pool.checkout(500_000);
    expect(lease.buffer).toBe(largeBuffer);
    // As after a BYOB read: the lease now holds the buffer the read returned.
    const moved = structuredClone(lease.buffer, { transfer: [lease.buffer] });
    lease.buffer = moved;
    lease.release();
    expect(pool.checkout(500_000).buffer).toBe(moved);
  });

  it("keeps at most maxFreeBytes of free buffers, preferring larger ones; drops detached and oversized buffers", () => {
    const pool = new BytePool(300_000, 200_000);
    const leases = [pool.checkout(64 * 1024), pool.checkout(64 * 1024), pool.checkout(128 * 1024), pool.checkout(128 * 1024), pool.checkout(250_000)];
    for (const lease of leases) lease.release();
    expect(pool.freeBytes).toBeLessThanOrEqual(300_000);
    expect(pool.freeBytes).toBe(2 * 128 * 1024); // the 256 kB one is over maxBufferBytes; the small ones made room
    const detached = pool.checkout(1);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const before = pool.freeBytes;
    detached.release();
    expect(pool.freeBytes).toBe(before);
    const none = new BytePool(0);
    const lease = none.checkout(10);
    lease.release();
    expect(none.freeBytes).toBe(0);
  });
});
