import { describe, expect, it } from "vitest";
import { decodePickleOps } from "../../../src/compiler/checkpoint/pickle-ops";

describe("decodePickleOps", () => {
  it("reads a BINSTRING far longer than one call's argument limit, byte i as code point i", () => {
    const n = 300_000;
    const payload = new Uint8Array(n).map((_, i) => (i * 7) & 0xff);
    const bytes = new Uint8Array(1 + 4 + n + 1);
    bytes[0] = 84; // BINSTRING, 4-byte little-endian length
    new DataView(bytes.buffer).setUint32(1, n, true);
    bytes.set(payload, 5);
    bytes[5 + n] = 46; // STOP
    const [op] = decodePickleOps(bytes);
    const text = op!.arg as string;
    expect(text.length).toBe(n);
    expect(text.charCodeAt(0x93)).toBe(payload[0x93]);
    expect([...text].every((c, i) => c.charCodeAt(0) === payload[i])).toBe(true);
  });
});
