// Compiled few-shot head (min over memory rows of 1 - cosine) vs a plain-JS nearest-neighbour search.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle } from "../../../src/compiler/compile-bundle";
import { fewShotDistances, HEAD_SIMILARITY_BYTES, stageHeadChunkRows } from "../../../src/engine/runtime/clip-encoders";
import type { ModelBundle } from "../../../src/engine/runtime/model-bundle";
import { encodeF16Clamped } from "../../../src/shared/float16";
import { fewShotDistancesReference } from "../../helpers/few-shot-reference";
import { openInMemory, seededUniform, tinyArch } from "../../helpers/tiny-bundle";

const WIDTH = 32;
const PATCHES = 16; // a 4 x 4 grid
const ROWS = 48; // k = 3 shots of 16 patches

let bundle: ModelBundle;

beforeAll(async () => {
  const compiled = await compileBundle(randomCheckpoint(tinyArch({ width: WIDTH }), 1), { name: "tiny", vocabulary: new Uint8Array([1]), layers: [1, 3] });
  bundle = await openInMemory(compiled);
});

afterAll(async () => {
  await bundle.releaseSession("fewShotHead");
});

function row(a: Float32Array, r: number): Float32Array {
  return a.subarray(r * WIDTH, (r + 1) * WIDTH);
}

describe("few-shot head", () => {
  it("matches 1 - max cosine over the memory rows, per layer and patch", async () => {
    const query = [seededUniform(PATCHES * WIDTH, 11), seededUniform(PATCHES * WIDTH, 12)];
    // Memory with an offset: cosines are spread out rather than all near 0.
    const memory = [seededUniform(ROWS * WIDTH, 21, -0.5, 1), seededUniform(ROWS * WIDTH, 22, -0.5, 1)];
    const got = await fewShotDistances(bundle, query, memory);
    expect(got).toHaveLength(2);
    got.forEach((d, l) => {
      expect(d.length).toBe(PATCHES);
      const want = fewShotDistancesReference(query[l]!, memory[l]!, WIDTH);
      for (let p = 0; p < PATCHES; p++) expect(Math.abs(d[p]! - want[p]!), `layer ${l} patch ${p}`).toBeLessThan(1e-5);
    });
    // The layers are not mixed up: layer 1's answer differs from what layer 0's memory would give.
    const crossed = fewShotDistancesReference(query[1]!, memory[0]!, WIDTH);
    expect(Math.max(...got[1]!.map((v, p) => Math.abs(v - crossed[p]!)))).toBeGreaterThan(1e-3);
  });

  it("gives 0 for a query patch equal (or parallel) to a memory row, 2 for one opposite to every row", async () => {
    const query = [seededUniform(PATCHES * WIDTH, 31), seededUniform(PATCHES * WIDTH, 32)];
    const memory = [seededUniform(ROWS * WIDTH, 41), seededUniform(ROWS * WIDTH, 42)];
    row(query[0]!, 5).set(row(memory[0]!, 17));
    row(query[1]!, 0).set(row(memory[1]!, 40).map((v) => 3.5 * v));
    const got = await fewShotDistances(bundle, query, memory);
    expect(Math.abs(got[0]![5]!)).toBeLessThan(1e-6);
    expect(Math.abs(got[1]![0]!)).toBeLessThan(1e-6);
    // The other patches are farther away (random 32-d vectors are far from parallel).
    expect(Math.min(...got[0]!.filter((_, p) => p !== 5))).toBeGreaterThan(0.05);

    const single = seededUniform(WIDTH, 51);
    const opposite = await fewShotDistances(bundle, [single.map((v) => -v)], [single]);
    expect(opposite[0]![0]!).toBeCloseTo(2, 5);
  });

  it("gives the same distances in chunks of memory rows, also chunks that split a shot, float32 or half bits", async () => {
    const query = [seededUniform(PATCHES * WIDTH, 61), seededUniform(PATCHES * WIDTH, 62)];
    const memory = [seededUniform(ROWS * WIDTH, 71, -0.5, 1), seededUniform(ROWS * WIDTH, 72, -0.5, 1)];
    for (const bank of [memory, memory.map((m) => encodeF16Clamped(m))]) {
      const whole = await fewShotDistances(bundle, query, bank);
      for (const chunk of [1, 7, PATCHES, 20, ROWS]) {
        const got = await fewShotDistances(bundle, query, bank, chunk);
        for (const [l, d] of got.entries()) expect(Array.from(d), `chunks of ${chunk} rows, layer ${l}`).toEqual(Array.from(whole[l]!));
      }
    }
  });
});

describe("stage head chunks", () => {
  it("keep a ViT-B grid's shot whole and split a ViT-L-14-336 518 shot in two, within the similarity bound", () => {
    expect(stageHeadChunkRows(196)).toBe(196);
    expect(stageHeadChunkRows(1369)).toBe(685);
    for (const patches of [49, 196, 576, 1369, 4096]) {
      const rows = stageHeadChunkRows(patches);
      expect(rows).toBeGreaterThan(0);
      expect(rows).toBeLessThanOrEqual(patches);
      if (rows > 1) expect(4 * patches * rows).toBeLessThanOrEqual(HEAD_SIMILARITY_BYTES);
    }
  });
});
