// Admission to the model: one request runs at a time, in arrival order; the queue is bounded by count and by bytes.
import { ApiError } from "./errors";

export interface AdmissionLimits {
  /** Requests admitted at once, the running one included; more get 503 overloaded. */
  maxRequests: number;
  /** Sum of the admitted requests' body sizes plus `reservedBytes`; a request is always admitted into an empty queue. */
  maxBytes: number;
  /**
   * Counted once against maxBytes whenever a request is admitted beside others: the working memory of the one request
   * that runs at a time (its decoded image and buffers), which the body sizes do not show.
   */
  reservedBytes?: number;
}

export interface Admission {
  /** Requests admitted before this one that had not released yet when it was admitted. */
  readonly ahead: number;
  /** Resolves when every request admitted before this one has released. */
  turn(): Promise<void>;
  /** Leaves the queue (idempotent); the next request's turn starts. */
  release(): void;
}

/** Retry-After is an estimate; beyond a minute it would only turn clients away for good. */
const MAX_RETRY_AFTER_SECONDS = 60;

interface Entry {
  bytes: number;
  start: () => void;
  started: boolean;
  startedAt: number;
}

/**
 * Without it every request's ORT calls interleave in the one ORT queue and a burst of N finishes together at N
 * times the service time. Here the k-th admitted request finishes after about k service times, and beyond the
 * bound the client is told when to come back (Retry-After: the queue's expected wait, from the recent service times).
 */
export class AdmissionQueue {
  private readonly queue: Entry[] = [];
  private bytes = 0;
  /** The last service times (turn to release), for Retry-After: their median, robust to a cold start. */
  private readonly recentMs: number[] = [];

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.queue.length;
  }

  get admittedBytes(): number {
    return this.bytes;
  }

  /** Seconds a refused client should wait: the expected time to drain the current queue, at least 1. */
  retryAfterSeconds(): number {
    // Fewer than 3 samples (a cold isolate's first request loads the model): 1 s each.
    const sorted = [...this.recentMs].sort((a, b) => a - b);
    const serviceMs = sorted.length >= 3 ? sorted[Math.floor(sorted.length / 2)]! : 1_000;
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((this.queue.length * serviceMs) / 1000)));
  }

  /** Admits a request of `bytes` body bytes, or throws 503 overloaded (details.retryAfterSeconds). */
  admit(bytes: number): Admission {
    const reserved = this.limits.reservedBytes ?? 0;
    const full = this.queue.length >= this.limits.maxRequests || (this.queue.length > 0 && this.bytes + bytes + reserved > this.limits.maxBytes);
    if (full) {
      const retryAfterSeconds = this.retryAfterSeconds();
      throw new ApiError(503, "overloaded", `the service is busy (${this.queue.length} requests queued); retry after ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
    return this.enqueue(bytes);
  }

  /**
   * Admits work that must not be refused and holds nothing while it waits: a queued job, which reads its image only
   * at its turn (the consumer takes one message at a time, so this adds at most one entry per consumer invocation).
   */
  admitWaiting(): Admission {
    return this.enqueue(0);
  }

  private enqueue(bytes: number): Admission {
    let resolveTurn!: () => void;
    const turn = new Promise<void>((resolve) => {
      resolveTurn = resolve;
    });
    const entry: Entry = { bytes, start: resolveTurn, started: false, startedAt: 0 };
    this.queue.push(entry);
    this.bytes += bytes;
    const ahead = this.queue.length - 1;
    if (ahead === 0) this.begin(entry);
    let released = false;
    return {
      ahead,
      turn: () => turn,
      release: () => {
        if (released) return;
        released = true;
        this.leave(entry);
      },
    };
  }

  private begin(entry: Entry): void {
    entry.started = true;
    entry.startedAt = this.now();
    entry.start();
  }

  private leave(entry: Entry): void {
    const index = this.queue.indexOf(entry);
    if (index < 0) return;
    this.queue.splice(index, 1);
    this.bytes -= entry.bytes;
    if (entry.started) {
      const took = Math.max(1, this.now() - entry.startedAt);
      this.recentMs.push(took);
      if (this.recentMs.length > 9) this.recentMs.shift();
    }
    const head = this.queue[0];
    if (head && !head.started) this.begin(head);
  }
}
