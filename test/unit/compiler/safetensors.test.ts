// safetensors codec and half/bfloat16 conversion on hand-computed values, plus every malformed-file error.
import { describe, expect, it } from "vitest";
import { decodeBF16, decodeF16, floatToHalfBits, halfBitsToFloat } from "../../../src/shared/float16";
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors } from "../../../src/compiler/checkpoint/safetensors";
import { expectCheckpointError } from "./checkpoint-fixtures";

/** A safetensors file from a header object and a raw data section. */
function rawFile(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad && json.length % 8 !== 0) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    dv.setUint16(i * 2, v, true);
  });
  return out;
}

describe("half and bfloat16", () => {
  it("decodes hand-computed F16 bit patterns", () => {
    const bits = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x3e00];
    const expected = [1, -2, 0.333251953125, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, 1.5];
    expect(Array.from(decodeF16(new Uint16Array(bits)))).toEqual(expected);
    expect(halfBitsToFloat(0x7e00)).toBeNaN();
  });

  it("decodes hand-computed BF16 bit patterns", () => {
    const bits = [0x3f80, 0x4049, 0xc0a0, 0x0000, 0x7f80, 0x3eaa];
    const expected = [1, 3.140625, -5, 0, Infinity, 0.33203125];
    expect(Array.from(decodeBF16(new Uint16Array(bits)))).toEqual(expected);
  });

  it("narrows float32 to half with round-to-nearest-even", () => {
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(-2)).toBe(0xc000);
    expect(floatToHalfBits(1 / 3)).toBe(0x3555);
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToHalfBits(2 ** -24)).toBe(0x0001);
    expect(floatToHalfBits(2 ** -25)).toBe(0x0000); // tie to even (0)
    expect(floatToHalfBits(3 * 2 ** -25)).toBe(0x0002); // tie to even (2)
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalfBits(NaN) & 0x7e00).toBe(0x7e00);
    for (let h = 0; h < 0x7c00; h += 37) expect(floatToHalfBits(halfBitsToFloat(h))).toBe(h);
  });
});

describe("parseSafetensors", () => {
  it("round-trips F32 with metadata and a scalar", () => {
    const a = { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) };
    const s = { shape: [], data: Float32Array.from([4.6]) };
    const bytes = serializeSafetensors({ b: a, a: s }, "F32", { format: "pt" });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    expect(readSafetensorsHeader(bytes).metadata).toEqual({ format: "pt" });
    const parsed = parseSafetensors(bytes);
    expect(parsed.get("b")).toEqual({ dtype: "F32", shape: [2, 3], data: a.data });
    expect(parsed.get("a")).toEqual({ dtype: "F32", shape: [], data: s.data });
  });

  it("writes F16 that reads back as the half-rounded values", () => {
    const data = Float32Array.from([1, 1 / 3, -1000.7, 2 ** -20]);
    const parsed = parseSafetensors(serializeSafetensors({ x: { shape: [4], data } }, "F16"));
    expect(parsed.get("x")!.dtype).toBe("F16");
    expect(Array.from(parsed.get("x")!.data)).toEqual(Array.from(data, (v) => halfBitsToFloat(floatToHalfBits(v))));
  });

  it("decodes F16, BF16 and F64 tensors, unaligned too", () => {
    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, 0.1, true);
    new DataView(f64.buffer).setFloat64(8, -3, true);
    const data = new Uint8Array([...u16le([0x3c00, 0xc000]), 0, ...u16le([0x3f80]), 0, ...f64]);
    const bytes = rawFile(
      {
        h: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
        b: { dtype: "BF16", shape: [1], data_offsets: [5, 7] },
        d: { dtype: "F64", shape: [2], data_offsets: [8, 24] },
      },
      data,
    );
    const parsed = parseSafetensors(bytes);
    expect(Array.from(parsed.get("h")!.data)).toEqual([1, -2]);
    expect(Array.from(parsed.get("b")!.data)).toEqual([1]);
    expect(Array.from(parsed.get("d")!.data)).toEqual([Math.fround(0.1), -3]);
  });

  it("reads F32 at an unaligned offset and with an unpadded header", () => {
    const data = new Uint8Array(9);
    new DataView(data.buffer).setFloat32(1, 2.5, true);
    new DataView(data.buffer).setFloat32(5, -1, true);
    const parsed = parseSafetensors(rawFile({ x: { dtype: "F32", shape: [2], data_offsets: [1, 9] } }, data, false));
    expect(Array.from(parsed.get("x")!.data)).toEqual([2.5, -1]);
  });

  it("rejects truncated files", () => {
    expectCheckpointError(() => parseSafetensors(new Uint8Array(5)), "truncated");
    const good = serializeSafetensors({ weight: { shape: [4], data: new Float32Array(4) } });
    expectCheckpointError(() => parseSafetensors(good.subarray(0, 12)), "truncated");
    expectCheckpointError(() => parseSafetensors(good.subarray(0, good.length - 1)), "truncated", ['"weight"']);
  });

  it("rejects bad headers", () => {
    const notJson = new Uint8Array(16);
    new DataView(notJson.buffer).setBigUint64(0, 8n, true);
    notJson.set(new TextEncoder().encode("{oops   "), 8);
    expectCheckpointError(() => parseSafetensors(notJson), "bad_header");
    expectCheckpointError(() => parseSafetensors(rawFile([1, 2], new Uint8Array(0))), "bad_header");
    expectCheckpointError(() => parseSafetensors(rawFile({ k: { dtype: "F32", shape: [2] } }, new Uint8Array(8))), "bad_header", ['"k"']);
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expectCheckpointError(() => parseSafetensors(huge), "bad_header");
  });

  it("rejects offsets that do not match the shape", () => {
    const bytes = rawFile({ k: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12));
    const err = expectCheckpointError(() => parseSafetensors(bytes), "offset_out_of_range", ['"k"']);
    expect(err.key).toBe("k");
    expectCheckpointError(
      () => parseSafetensors(rawFile({ k: { dtype: "F32", shape: [0], data_offsets: [8, 4] } }, new Uint8Array(12))),
      "offset_out_of_range",
    );
  });

  it("rejects unsupported dtypes naming the key, unless filtered out", () => {
    const bytes = rawFile(
      {
        "text_model.embeddings.position_ids": { dtype: "I64", shape: [1, 2], data_offsets: [0, 16] },
        w: { dtype: "F32", shape: [1], data_offsets: [16, 20] },
      },
      new Uint8Array(20),
    );
    const err = expectCheckpointError(() => parseSafetensors(bytes), "unsupported_dtype", ["text_model.embeddings.position_ids", "I64"]);
    expect(err.key).toBe("text_model.embeddings.position_ids");
    const parsed = parseSafetensors(bytes, { include: (k) => !k.endsWith("position_ids") });
    expect([...parsed.keys()]).toEqual(["w"]);
  });

  it("aliases aligned F32 data unless asked to copy", () => {
    const bytes = serializeSafetensors({ x: { shape: [2], data: Float32Array.from([1, 2]) } });
    expect(parseSafetensors(bytes).get("x")!.data.buffer).toBe(bytes.buffer);
    expect(parseSafetensors(bytes, { copy: true }).get("x")!.data.buffer).not.toBe(bytes.buffer);
  });

  it("refuses to serialise a tensor whose data does not fit its shape", () => {
    expectCheckpointError(() => serializeSafetensors({ bad: { shape: [3], data: new Float32Array(2) } }), "shape_mismatch", ['"bad"']);
  });
});
