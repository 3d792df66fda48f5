// Reference-set features on storage: fp16 round trip of every layer's memory bank, header checks.
import { describe, expect, it } from "vitest";
import { calibrateFromLeaveOneOut } from "../../../src/engine/anomaly/calibration";
import { decodeEmbedding, embeddingLayout, encodeEmbedding } from "../../../src/platform/embedding-codec";
import { decodeF16, encodeF16Clamped } from "../../../src/shared/float16";
import type { ReferenceEmbedding } from "../../../src/usecases/reference-set-store";

function embedding(): ReferenceEmbedding {
  const width = 8;
  const rows = 6;
  const memory = new Map<number, Float32Array>();
  for (const l of [3, 6, 9])
    memory.set(
      l,
      Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * l) * 40 + (i === 5 ? 1e6 : 0)),
    );
  return {
    modelHash: "a".repeat(64),
    promptSet: "p1-abc",
    createdAt: "2026-01-01T00:00:00.000Z",
    calibration: calibrateFromLeaveOneOut([
      { combinedMax: 1, zeroShotScore: 0.2 },
      { combinedMax: 1.2, zeroShotScore: 0.3 },
    ]),
    width,
    memory,
  };
}

describe("embedding codec", () => {
  it("round-trips the header exactly and the banks within fp16 precision (outliers clamped to the largest half)", () => {
    const e = embedding();
    const bytes = encodeEmbedding(e);
    const back = decodeEmbedding(bytes);
    expect({ ...back, memory: undefined }).toEqual({ ...e, memory: undefined });
    expect([...back.memory.keys()]).toEqual([3, 6, 9]);
    for (const [l, bank] of e.memory) {
      const got = back.memory.get(l)!;
      expect(got.length).toBe(bank.length);
      for (let i = 0; i < bank.length; i++) {
        if (i === 5) expect(got[i]).toBe(65504);
        else expect(Math.abs(got[i]! - bank[i]!)).toBeLessThanOrEqual(Math.abs(bank[i]!) * 2 ** -11 + 1e-7);
      }
    }
    // Compact: two bytes per value plus a small header.
    expect(bytes.length).toBeLessThan(3 * 6 * 8 * 2 + 1024);
  });

  it("decodes from an unaligned view and rejects truncated or foreign bytes", () => {
    const bytes = encodeEmbedding(embedding());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeEmbedding(shifted.subarray(1)).memory.get(3)!.length).toBe(48);
    expect(() => decodeEmbedding(bytes.subarray(0, bytes.length - 2))).toThrow(/expected/);
    expect(() => decodeEmbedding(new TextEncoder().encode("not an embedding at all"))).toThrow(/magic/);
  });

  it("locates each layer's half bits for ranged reads: the same values as decoding the whole object", () => {
    const e = embedding();
    const bytes = encodeEmbedding(e);
    const whole = decodeEmbedding(bytes);
    const short = embeddingLayout(bytes.subarray(0, 16), bytes.length);
    expect(short).toHaveProperty("needBytes");
    const layout = embeddingLayout(bytes.subarray(0, (short as { needBytes: number }).needBytes), bytes.length);
    if ("needBytes" in layout) throw new Error("the header should be complete");
    expect([layout.layers, layout.rows, layout.width]).toEqual([[3, 6, 9], 6, 8]);
    for (const l of [3, 6, 9]) {
      const { offset, length } = layout.range(l)!;
      const half = new Uint16Array(bytes.slice(offset, offset + length).buffer);
      expect([...decodeF16(half)]).toEqual([...whole.memory.get(l)!]);
    }
    expect(layout.range(4)).toBeUndefined();
    expect(() => embeddingLayout(bytes.subarray(0, 4096), bytes.length + 2)).toThrow(/expected/);
  });

  it("stores banks given as half bits as they are", () => {
    const e = embedding();
    const halves = new Map([...e.memory].map(([l, bank]) => [l, encodeF16Clamped(bank)]));
    expect(encodeEmbedding({ ...e, memory: halves })).toEqual(encodeEmbedding(e));
  });
});
