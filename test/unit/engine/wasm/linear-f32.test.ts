// The fp32 linear kernel (patch embedding and projections) against a float64 reference, with row and column tails.
import { describe, expect, it } from "vitest";
import { loadInt8Gemm } from "../../../../src/bench/int8-gemm-node";
import type { GemmKind } from "../../../../src/engine/wasm/int8-gemm";
import { seededUniform } from "../../../helpers/tiny-bundle";

describe("fp32 linear kernel", () => {
  it.each<[GemmKind, number, number, number, boolean]>([
    ["simd", 1, 3, 4, true],
    ["simd", 7, 33, 12, false],
    ["simd", 13, 192, 36, true],
    ["relaxed", 9, 65, 20, true],
    ["relaxed", 6, 40, 16, false],
    ["simd", 5, 17, 8, true],
  ])("%s module, M=%i K=%i N=%i, bias %s", async (kind, M, K, N, withBias) => {
    const g = await loadInt8Gemm(kind);
    const x = seededUniform(M * K, 1, -3, 3);
    const w = seededUniform(K * N, 2);
    const bias = withBias ? seededUniform(N, 3) : undefined;
    const out = g.alloc(M * N * 4);
    g.linearF32At(g.floats(x), M, K, g.packF32(w, K, N), N, bias ? g.floats(bias) : 0, out);
    const y = g.read(out, M * N);
    let worst = 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        let mag = 0;
        for (let k = 0; k < K; k++) {
          s += x[m * K + k]! * w[k * N + n]!;
          mag += Math.abs(x[m * K + k]! * w[k * N + n]!);
        }
        s += bias?.[n] ?? 0;
        worst = Math.max(worst, Math.abs(y[m * N + n]! - s) / (mag + Math.abs(bias?.[n] ?? 0)));
      }
    }
    // fp32 sums in k order: error within a few ulps of the sum of magnitudes per term count
    expect(worst).toBeLessThan(K * 2 ** -23);
  });

  // Rows in groups of four go through a transposed copy of their inputs, the last M % 4 rows straight from x: a tail
  // row repeating a grouped row must get its bits (same sums in the same order), also after a larger call.
  it.each<[GemmKind, number, number]>([
    ["simd", 37, 12],
    ["relaxed", 37, 12],
    ["relaxed", 64, 24],
  ])("%s module, K=%i N=%i: a tail row gets the bits of the same row in a group of four", async (kind, K, N) => {
    const g = await loadInt8Gemm(kind);
    const bigM = 12;
    g.linearF32At(g.floats(seededUniform(bigM * K, 4, -3, 3)), bigM, K, g.packF32(seededUniform(K * N, 5), K, N), N, 0, g.alloc(bigM * N * 4));
    const M = 9;
    const x = seededUniform(M * K, 6, -3, 3);
    x.copyWithin(8 * K, 5 * K, 6 * K);
    const out = g.alloc(M * N * 4);
    g.linearF32At(g.floats(x), M, K, g.packF32(seededUniform(K * N, 7), K, N), N, g.floats(seededUniform(N, 8)), out);
    const y = g.read(out, M * N);
    expect(Array.from(y.subarray(8 * N, 9 * N))).toEqual(Array.from(y.subarray(5 * N, 6 * N)));
  });

  it("rejects a column count that is not a multiple of 4", async () => {
    const g = await loadInt8Gemm("simd");
    expect(() => g.linearF32At(0, 1, 4, 0, 6, 0, 0)).toThrow(/multiple of 4/);
  });
});
