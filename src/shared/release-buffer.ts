// Frees an ArrayBuffer's memory at once where the runtime can, instead of leaving it to the collector.

type Detachable = ArrayBuffer & { transfer?: (length?: number) => ArrayBuffer; detached?: boolean };

/**
 * Detaches the buffer (of a view, or the buffer itself) with ArrayBuffer.prototype.transfer (workerd, Node 22): its
 * backing store is released now and every view of it reads as empty. Where transfer does not exist (Node 20), or the
 * buffer is a SharedArrayBuffer, already detached or not detachable (a WebAssembly.Memory's), nothing happens and the
 * collector takes it as usual.
 */
export function releaseBuffer(target: ArrayBufferLike | ArrayBufferView): void {
  const buffer = (ArrayBuffer.isView(target) ? target.buffer : target) as Detachable;
  if (!(buffer instanceof ArrayBuffer) || typeof buffer.transfer !== "function" || buffer.detached) return;
  try {
    buffer.transfer(0);
  } catch {
    // not detachable: left to its owner
  }
}
