// Text stage 0's token embedding gather: bounded range reads that cover every id, rows decoded as the graph would.
import { describe, expect, it } from "vitest";
import { quantizeRows, tokenEmbeddingTable } from "../../../src/compiler/token-embedding-table";
import { tokenEmbeddingRowBytes } from "../../../src/engine/runtime/token-embedding-format";
import { embeddingRowsOf, gatherTokenEmbeddings, planRowReads } from "../../../src/engine/staging/text-embedding-gather";

describe("planRowReads", () => {
  it("covers every id in at most maxReads ranges, reading through the smallest gaps first", () => {
    const ids = [3, 4, 5, 40, 41, 1000, 1002, 30000, 49407];
    const ranges = planRowReads(ids, 3);
    expect(ranges).toEqual([
      { first: 3, count: 1000 },
      { first: 30000, count: 1 },
      { first: 49407, count: 1 },
    ]);
    for (const max of [1, 2, 4, 24]) {
      const r = planRowReads(ids, max);
      expect(r.length).toBeLessThanOrEqual(max);
      for (const id of ids)
        expect(
          r.some((x) => id >= x.first && id < x.first + x.count),
          `${id} in ${max}`,
        ).toBe(true);
    }
    // small gaps (a few rows) are read through even when reads are left
    expect(planRowReads([10, 12, 20, 200], 24)).toEqual([
      { first: 10, count: 11 },
      { first: 200, count: 1 },
    ]);
    expect(planRowReads([], 4)).toEqual([]);
  });

  it("keeps a prompt set's spread ids to 24 reads", () => {
    const ids = Array.from({ length: 400 }, (_, i) => (i * 7919) % 49408).sort((a, b) => a - b);
    const r = planRowReads([...new Set(ids)]);
    expect(r.length).toBe(24);
  });
});

describe("gatherTokenEmbeddings", () => {
  const rows = 300;
  const width = 6;
  const data = Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * 1.37) * (1 + (i % 11)));

  it.each(["fp32", "int8-dynamic"] as const)("gives the table's rows (%s: dequantized as the graph does) for the ids used", async (quant) => {
    const table = tokenEmbeddingTable(data, rows, width, quant);
    const stride = tokenEmbeddingRowBytes(table.encoding, width);
    const reads: [number, number][] = [];
    const tokens = BigInt64Array.from([7, 8, 299, 0, 150, 7, 8, 9].map(BigInt));
    const got = await gatherTokenEmbeddings(
      async (first, count) => {
        reads.push([first, count]);
        return table.bytes.slice(first * stride, (first + count) * stride);
      },
      table,
      Array.from(tokens, Number),
    );
    expect([...got.keys()].sort((a, b) => a - b)).toEqual([0, 7, 8, 9, 150, 299]);
    const { q, scales } = quantizeRows(data, rows, width);
    for (const [id, row] of got) {
      const want =
        quant === "fp32" ? data.subarray(id * width, (id + 1) * width) : Float32Array.from({ length: width }, (_, c) => q[id * width + c]! * scales[id]!);
      expect(Array.from(row)).toEqual(Array.from(want));
    }
    const flat = embeddingRowsOf(tokens, got, width);
    expect(Array.from(flat.subarray(2 * width, 3 * width))).toEqual(Array.from(got.get(299)!));
    expect(reads.length).toBeLessThanOrEqual(24);
  });

  it("refuses ids outside the table and short reads", async () => {
    const table = tokenEmbeddingTable(data, rows, width, "fp32");
    await expect(gatherTokenEmbeddings(async () => new Uint8Array(0), table, [300])).rejects.toThrow(/outside the token embedding table/);
    await expect(gatherTokenEmbeddings(async () => new Uint8Array(3), table, [1])).rejects.toThrow(/read 3 bytes/);
  });
});
