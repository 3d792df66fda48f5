// Little-endian float32 tensors out of checkpoint bytes: a view when the host and the alignment allow, else a copy.

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` float32 values at byte `offset` of `bytes`; `copy` makes the result independent of `bytes`. */
export function readFloat32LE(bytes: Uint8Array, offset: number, count: number, copy: boolean): Float32Array {
  const off = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && off % 4 === 0) {
    const v = new Float32Array(bytes.buffer, off, count);
    return copy ? v.slice() : v;
  }
  const view = new DataView(bytes.buffer, off, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
