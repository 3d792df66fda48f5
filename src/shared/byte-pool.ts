// Reusable ArrayBuffers for request bodies and other per-request buffers that live across an await, so each request
// does not leave its bytes behind as garbage.
//
// workerd collects ArrayBuffers late (request garbage piles up for hundreds of requests between collections), and an
// isolate is charged for them at their peak. A checked-out buffer belongs to one request until it is released; the
// free buffers the pool keeps are bounded by bytes, so the pool itself never holds more than `maxFreeBytes`.

export interface PooledBuffer {
  /**
   * The buffer, at least the size asked for. A BYOB read transfers it (the old ArrayBuffer is detached): store the one
   * the read returns here, so that release gives the pool the live buffer.
   */
  buffer: ArrayBuffer;
  /** Gives the buffer back (once; later calls do nothing). Nothing may use it or a view of it afterwards. */
  release(): void;
}

/** Sizes are rounded up to this, so uploads of similar sizes share buffers. */
const GRAIN = 64 * 1024;

export class BytePool {
  private readonly free: ArrayBuffer[] = [];
  private freeTotal = 0;
  private outCount = 0;

  /**
   * @param maxFreeBytes bound on the bytes of the free buffers kept for reuse.
   * @param maxBufferBytes buffers larger than this are never kept (they are handed out, then left to the collector).
   */
  constructor(
    readonly maxFreeBytes: number,
    readonly maxBufferBytes = maxFreeBytes,
  ) {}

  /** An exclusive buffer of at least `minBytes`: the smallest free one that fits, else a new one. */
  checkout(minBytes: number): PooledBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= minBytes && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    let buffer: ArrayBuffer;
    if (best >= 0) {
      buffer = this.free[best]!;
      this.free.splice(best, 1);
      this.freeTotal -= buffer.byteLength;
    } else {
      buffer = new ArrayBuffer(Math.max(GRAIN, Math.ceil(minBytes / GRAIN) * GRAIN));
    }
    this.outCount++;
    let released = false;
    const lease: PooledBuffer = {
      buffer,
      release: () => {
        if (released) return;
        released = true;
        this.outCount--;
        this.keep(lease.buffer);
      },
    };
    return lease;
  }

  private keep(buffer: ArrayBuffer): void {
    const size = buffer.byteLength; // 0 when detached (a read that never returned it)
    if (size === 0 || size > this.maxBufferBytes) return;
    // Make room by dropping smaller buffers first: the larger one serves more requests.
    while (this.freeTotal + size > this.maxFreeBytes && this.free.length > 0) {
      let smallest = 0;
      for (let i = 1; i < this.free.length; i++) if (this.free[i]!.byteLength < this.free[smallest]!.byteLength) smallest = i;
      if (this.free[smallest]!.byteLength >= size) return;
      this.freeTotal -= this.free[smallest]!.byteLength;
      this.free.splice(smallest, 1);
    }
    if (this.freeTotal + size > this.maxFreeBytes) return;
    this.free.push(buffer);
    this.freeTotal += size;
  }

  /** Bytes of the free buffers kept now. */
  get freeBytes(): number {
    return this.freeTotal;
  }

  /** Buffers checked out and not yet released. */
  get checkedOut(): number {
    return this.outCount;
  }
}
