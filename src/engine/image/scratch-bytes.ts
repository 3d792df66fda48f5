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

  /** `length` float32 values over the same buffer (same rules as `take`; the values are whatever was there). */
  float32(length: number): Float32Array {
    const bytes = this.take(length * 4);
    return new Float32Array(bytes.buffer, bytes.byteOffset, length);
  }

  /** `length` float64 values over the same buffer (same rules as `take`). */
  float64(length: number): Float64Array {
    const bytes = this.take(length * 8);
    return new Float64Array(bytes.buffer, bytes.byteOffset, length);
  }

  /** `length` int32 values over the same buffer (same rules as `take`). */
  int32(length: number): Int32Array {
    const bytes = this.take(length * 4);
    return new Int32Array(bytes.buffer, bytes.byteOffset, length);
  }

  /** Bytes kept alive now. */
  get retainedBytes(): number {
    return this.buffer?.length ?? 0;
  }
}
