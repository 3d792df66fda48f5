import { describe, expect, it } from "vitest";
import { AdmissionQueue } from "../../../src/service/admission";
import { ApiError } from "../../../src/service/errors";

function refused(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("was admitted");
}

describe("AdmissionQueue", () => {
  it("gives turns one at a time, in arrival order", async () => {
    const queue = new AdmissionQueue({ maxRequests: 10, maxBytes: 1e9 });
    const order: number[] = [];
    const tickets = [0, 1, 2, 3].map((i) => ({ i, ticket: queue.admit(1) }));
    const runs = tickets.map(async ({ i, ticket }) => {
      await ticket.turn();
      order.push(i);
      await new Promise((r) => setTimeout(r, 5 * (4 - i))); // later arrivals would finish first if they overlapped
      order.push(i);
      ticket.release();
    });
    await Promise.all(runs);
    expect(order).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(queue.size).toBe(0);
    expect(queue.admittedBytes).toBe(0);
  });

  it("refuses beyond the count with 503 overloaded and a Retry-After estimate", () => {
    let now = 0;
    const queue = new AdmissionQueue({ maxRequests: 2, maxBytes: 1e9 }, () => now);
    const a = queue.admit(1);
    const b = queue.admit(1);
    const error = refused(() => queue.admit(1));
    expect(error.status).toBe(503);
    expect(error.code).toBe("overloaded");
    expect(error.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(queue.retryAfterSeconds()).toBe(2); // no service times yet: 1 s per queued request
    // Three slow requests (4 s each) raise the estimate: 2 queued x 4 s.
    const tickets = [a, b];
    for (let i = 0; i < 3; i++) {
      now += 4_000;
      tickets.shift()!.release();
      tickets.push(queue.admit(1));
    }
    expect(queue.size).toBe(2);
    expect(queue.retryAfterSeconds()).toBe(8);
  });

  it("bounds the admitted body bytes, but always admits into an empty queue", () => {
    const queue = new AdmissionQueue({ maxRequests: 10, maxBytes: 100 });
    const big = queue.admit(500);
    expect(refused(() => queue.admit(1)).code).toBe("overloaded");
    big.release();
    const a = queue.admit(60);
    queue.admit(40);
    expect(refused(() => queue.admit(1)).code).toBe("overloaded");
    a.release();
    expect(() => queue.admit(60)).not.toThrow();
  });

  it("a request that leaves before its turn frees its place; release is idempotent", async () => {
    const queue = new AdmissionQueue({ maxRequests: 3, maxBytes: 1e9 });
    const first = queue.admit(10);
    const second = queue.admit(20);
    const third = queue.admit(30);
    second.release();
    second.release();
    expect(queue.size).toBe(2);
    expect(queue.admittedBytes).toBe(40);
    let thirdStarted = false;
    void third.turn().then(() => (thirdStarted = true));
    await Promise.resolve();
    expect(thirdStarted).toBe(false);
    first.release();
    await third.turn();
    expect(thirdStarted).toBe(true);
  });

  it("reserves the running request's decode once beside the bodies, never refusing into an empty queue", () => {
    const queue = new AdmissionQueue({ maxRequests: 10, maxBytes: 100, reservedBytes: 40 });
    const first = queue.admit(70); // alone: admitted although 70 + 40 > 100
    expect(refused(() => queue.admit(1)).code).toBe("overloaded");
    first.release();
    const a = queue.admit(30);
    const b = queue.admit(30); // 30 + 30 + 40 = 100
    expect(refused(() => queue.admit(1)).code).toBe("overloaded");
    a.release();
    queue.admit(30);
    b.release();
    expect(queue.admittedBytes).toBe(30);
  });

  it("admits waiting work (a queued job) beyond the bounds, with no bytes, in arrival order", async () => {
    const queue = new AdmissionQueue({ maxRequests: 1, maxBytes: 10 });
    const request = queue.admit(10);
    refused(() => queue.admit(1));
    const job = queue.admitWaiting();
    expect(queue.size).toBe(2);
    expect(queue.admittedBytes).toBe(10);
    let started = false;
    const running = job.turn().then(() => {
      started = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toBe(false);
    request.release();
    await running;
    refused(() => queue.admit(1)); // the job holds the model now
    job.release();
    expect(queue.size).toBe(0);
  });
});
