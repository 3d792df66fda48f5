// A reusable byte buffer, so per-request image work does not leave megabytes of garbage behind each request.

/**
 * Hands out views of one retained buffer of at most `maxBytes` (the bound on what it keeps alive); larger requests get
 * a fresh array. A view is only valid until the next `take`: use it for work that finishes before any `await`.
 */
export class ScratchBytes {
  private buffer: Uint8Array | undefined;

  constructor(readonly maxBytes: number) {}

  take(length: number): Uint8Array {
    if (length > this.maxBytes) return new Uint8Array(length);
    if (!this.buffer || this.buffer.length < length) {
      // Grow by half again at least, so slowly growing sizes do not reallocate each time.
      const size = Math.min(this.maxBytes, Math.max(length, Math.ceil((this.buffer?.length ?? 0) * 1.5)));
      this.buffer = new Uint8Array(size);
    }
    return this.buffer.subarray(0, length);
  }

  /** Bytes kept alive now. */
  get retainedBytes(): number {
    return this.buffer?.length ?? 0;
  }
}
