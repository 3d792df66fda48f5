// Compiled text tower vs an independent float64 CLIP text forward pass on full 77-token rows; EOT trimming; int8.
import { describe, expect, it } from "vitest";
import type { Activation, ClipCheckpoint } from "../../../src/compiler/checkpoint/clip-checkpoint";
import { randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileBundle, type QuantOption } from "../../../src/compiler/compile-bundle";
import { encodeTexts } from "../../../src/engine/runtime/clip-encoders";
import { clipTextReference } from "../../helpers/clip-reference";
import { cosine, graphBytes, openInMemory, relativeError, tinyArch } from "../../helpers/tiny-bundle";

// Measured <= 1.2e-6 against the float64 reference; a LayerNorm eps of 1e-6 instead of 1e-5 moves it by 1e-2.
const TOL = 2e-5;
const CONTEXT = 77;
const SOT = 62;
const EOT = 63; // the largest id of the 64-token vocabulary, as 49407 is in CLIP's

/** Rows of [SOT, ...body, EOT] zero-padded to 77: EOT at 3, 11, 1 and (a full row) 76. */
function tokenRows(): Int32Array {
  const bodies = [[5, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [], Array.from({ length: 75 }, (_, i) => 1 + ((i * 37) % 61))];
  const ids = new Int32Array(bodies.length * CONTEXT);
  bodies.forEach((b, r) => {
    ids.set([SOT, ...b, EOT], r * CONTEXT);
  });
  return ids;
}

async function encodeAll(ckpt: ClipCheckpoint, ids: Int32Array, quant: QuantOption, batchSize?: number) {
  const compiled = await compileBundle(ckpt, { name: "tiny", vocabulary: new Uint8Array([0x1f, 0x8b]), quant });
  const bundle = await openInMemory(compiled);
  const features = await encodeTexts(bundle, ids, batchSize);
  await bundle.releaseSession("text");
  return { features, bytes: graphBytes(compiled, "text"), embedDim: compiled.manifest.architecture.embedDim };
}

describe.each<Activation>(["gelu", "quick_gelu"])("text tower, fp32, %s", (activation) => {
  const ckpt = randomCheckpoint(tinyArch({ activation }), 5);
  const ids = tokenRows();
  const rows = ids.length / CONTEXT;

  it("trimmed batches (longest EOT + 1) equal the reference on the full 77-token rows", async () => {
    // batchSize 3: rows 0-2 run trimmed to 12 positions, row 3 alone at all 77.
    const { features, embedDim } = await encodeAll(ckpt, ids, "fp32", 3);
    expect(embedDim).toBe(16);
    expect(features.length).toBe(rows * embedDim);
    for (let r = 0; r < rows; r++) {
      const got = features.subarray(r * embedDim, (r + 1) * embedDim);
      const want = clipTextReference(ckpt, ids.subarray(r * CONTEXT, (r + 1) * CONTEXT));
      expect(relativeError(got, want), `row ${r}`).toBeLessThan(TOL);
      expect(Math.hypot(...got)).toBeCloseTo(1, 5);
    }
    // Different sentences give different embeddings.
    expect(cosine(features.subarray(0, embedDim), features.subarray(embedDim, 2 * embedDim))).toBeLessThan(0.9999);
  });

  it("gives the same features whatever the batching (one untrimmed batch of 77 vs trimmed ones)", async () => {
    const one = await encodeAll(ckpt, ids, "fp32", 35);
    const single = await encodeAll(ckpt, ids, "fp32", 1);
    expect(relativeError(single.features, one.features)).toBeLessThan(TOL);
  });

  it("pools at the EOT (argmax id) row: a row differing only after its EOT gives the same features", async () => {
    const a = tokenRows().subarray(0, CONTEXT);
    const b = a.slice();
    b.set([7, 7, 7], 4); // after EOT at 3: invisible to the causal EOT row (ids stay below EOT)
    const c = a.slice();
    c[2] = 7; // before EOT: must change the result
    const { features, embedDim } = await encodeAll(ckpt, Int32Array.from([...a, ...b, ...c]), "fp32");
    const [fa, fb, fc] = [0, 1, 2].map((r) => features.subarray(r * embedDim, (r + 1) * embedDim));
    expect(relativeError(fb!, fa!)).toBeLessThan(TOL);
    expect(relativeError(fc!, fa!)).toBeGreaterThan(1e-3);
    expect(relativeError(fb!, clipTextReference(ckpt, b))).toBeLessThan(TOL);
  });
});

describe("text tower, int8", () => {
  // Width 128: the block weights dominate the graph (the vocabulary is only 64 rows here).
  const ckpt = randomCheckpoint(tinyArch({ width: 128, heads: 4, embedDim: 32 }), 13);
  const ids = tokenRows();
  let fp32: ReturnType<typeof encodeAll> | undefined;

  it.each(["int8-dynamic", "int8-weight"] as const)("%s: cosine >= 0.99 with fp32 per row, graph under a third", async (quant) => {
    fp32 ??= encodeAll(ckpt, ids, "fp32", 2);
    const base = await fp32;
    const q = await encodeAll(ckpt, ids, quant, 2);
    for (let r = 0; r < ids.length / CONTEXT; r++) {
      const s = base.embedDim;
      expect(cosine(q.features.subarray(r * s, (r + 1) * s), base.features.subarray(r * s, (r + 1) * s)), `row ${r}`).toBeGreaterThanOrEqual(0.99);
    }
    // Measured 0.30: int8 linears and token table, fp32 positions / mask / projection.
    expect(q.bytes / base.bytes).toBeLessThan(0.33);
  });
});
