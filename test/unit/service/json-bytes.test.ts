import { describe, expect, it } from "vitest";
import { withJsonBytes } from "../../../src/service/json-bytes";
import { Base64Bytes } from "../../../src/shared/base64";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const random = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 7)) & 255);

describe("withJsonBytes", () => {
  it("writes the same text as JSON.stringify, Base64Bytes as base64 (every length mod 3, nested, several)", () => {
    for (const n of [0, 1, 2, 3, 100, 100_001]) {
      const a = random(n, 1);
      const b = random(n + 7, 2);
      const value = {
        object: "bottle ünïcødé ✓",
        map: { format: "png", data: new Base64Bytes(a), max: 0.25 },
        list: [1, { more: new Base64Bytes(b) }, null],
        note: 'quotes " and \\ and \n',
      };
      const expected = JSON.stringify({
        ...value,
        map: { ...value.map, data: Buffer.from(a).toString("base64") },
        list: [1, { more: Buffer.from(b).toString("base64") }, null],
      });
      expect(withJsonBytes(value, text)).toBe(expected);
      expect(JSON.stringify(value)).toBe(expected); // toJSON outside a writer
    }
  });

  it("a value whose own strings look like the marks is written by JSON.stringify alone, still right", () => {
    const value = { fake: "\u00000", data: new Base64Bytes(random(10, 3)), other: "\u00001" };
    expect(withJsonBytes(value, text)).toBe(JSON.stringify({ ...value, data: Buffer.from(random(10, 3)).toString("base64") }));
  });

  it("the bytes are reused between calls (pooled); each call sees only its own", () => {
    const first = withJsonBytes({ a: new Base64Bytes(random(3000, 4)) }, (bytes) => ({ buffer: bytes.buffer, text: text(bytes) }));
    const second = withJsonBytes({ b: 1 }, (bytes) => ({ buffer: bytes.buffer, text: text(bytes) }));
    expect(second.buffer).toBe(first.buffer);
    expect(second.text).toBe('{"b":1}');
  });
});
