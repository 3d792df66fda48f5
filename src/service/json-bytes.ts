// A JSON body written as UTF-8 bytes into a pooled buffer, with each Base64Bytes written as base64 ASCII straight from
// its bytes: a score response's map PNG (about 100 kB of base64 for a 900x900 map) never becomes a JS string, nor
// does the response text around it. The runtime copies a Response's bytes when it is made, so the buffer goes back to
// the pool right after.
import { Base64Bytes, base64Length, encodeBase64Into } from "../shared/base64";
import { BytePool } from "../shared/byte-pool";

/** Response buffers: 4 MB of free ones kept (bodies are written and copied without an await in between). */
const pool = new BytePool(4 * 2 ** 20);
const encoder = new TextEncoder();

/** `"` + the mark as JSON.stringify writes it (NUL escaped) + index digits + `"`. */
const MARKED = /"\\u0000(\d+)"/g;

/**
 * Calls `use` with the JSON of `value` as bytes (valid only during the call), the same text as JSON.stringify(value)
 * gives. A value whose own strings look like the marks (a NUL followed by digits) is written by JSON.stringify alone.
 */
export function withJsonBytes<T>(value: unknown, use: (bytes: Uint8Array<ArrayBuffer>) => T): T {
  const found: Base64Bytes[] = [];
  const text = Base64Bytes.collect(found, () => JSON.stringify(value));
  const marks = [...text.matchAll(MARKED)];
  if (marks.length !== found.length || marks.some((m, i) => Number(m[1]) !== i)) {
    return use(encoder.encode(JSON.stringify(value)) as Uint8Array<ArrayBuffer>);
  }
  let bound = text.length * 3;
  for (const b of found) bound += base64Length(b.bytes.length) + 2;
  const lease = pool.checkout(bound);
  try {
    const out = new Uint8Array(lease.buffer, 0, bound);
    let o = 0;
    let from = 0;
    const write = (to: number) => {
      if (to > from) o += encoder.encodeInto(text.substring(from, to), out.subarray(o)).written;
    };
    for (let i = 0; i < marks.length; i++) {
      const m = marks[i]!;
      write(m.index);
      out[o++] = 0x22; // "
      o = encodeBase64Into(found[i]!.bytes, out, o);
      out[o++] = 0x22;
      from = m.index + m[0].length;
    }
    write(text.length);
    return use(out.subarray(0, o));
  } finally {
    lease.release();
  }
}
