// ENGINE=wasm in workerd: the oracle's model compiled int8-dynamic, its image tower on the engine's kernels (imported
// as precompiled modules), scored through POST /v1/score against the oracle's golden arrays with the int8 tolerances
// of `npm run parity` (zero-shot score within 0.02, map Pearson >= 0.99), and beside onnxruntime-web on the same bundle.
import { env } from "cloudflare:workers";
import { decode } from "fast-png";
import { beforeAll, describe, expect, it } from "vitest";
import { compareArrays } from "../../src/parity/compare-arrays";
import { callWithEnv, goldenCase, seedBundle, type SeededBundle } from "../workers/seed";

const NAME = "oracle-int8";
let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle("oracle-int8", NAME);
});

async function goldenZeroShotMap(n: number): Promise<Float32Array> {
  const response = await env.TEST_FILES.fetch(`http://test-files/golden/zero-shot-map/${n}`);
  expect(response.status, `golden zero_shot_map of case ${n}`).toBe(200);
  return new Float32Array(await response.arrayBuffer());
}

/** engine undefined: the ENGINE var unset (its default, "auto"). */
async function scoreWith(engine: "ort" | "wasm" | undefined, object: string, image: string) {
  const response = await callWithEnv({ MODEL_NAME: NAME, ENGINE: engine }, "/v1/score", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ object, image, map: "png", mapResolution: "model" }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const body = JSON.parse(text) as { score: number; map: { max: number; data: string } };
  const png = decode(Uint8Array.from(atob(body.map.data), (c) => c.charCodeAt(0)));
  const map = Float32Array.from(png.data as Uint8Array, (v) => (v / 255) * body.map.max);
  return { score: body.score, map, engineBytes: Number(response.headers.get("x-engine-wasm-bytes")), kernel: response.headers.get("x-engine-kernel") };
}

describe("ENGINE=wasm: the engine's image tower behind POST /v1/score", () => {
  it("serves an int8-dynamic bundle", () => {
    expect(bundle.quantization).toBe("int8-dynamic");
  });

  for (const n of [0, 1, 2, 3, 4]) {
    it(`golden case ${n}: zero-shot score within 0.02 and map Pearson >= 0.99, as onnxruntime-web's int8`, async () => {
      const golden = await goldenCase(n);
      expect(golden, "the oracle case must be readable (../shared beside the checkout)").toBeDefined();
      const expected = await goldenZeroShotMap(n);
      const wasm = await scoreWith("wasm", golden!.object, golden!.image);
      const ort = await scoreWith("ort", golden!.object, golden!.image);
      // the engine's kernel memory is reported; onnxruntime-web's image session never ran for ENGINE=wasm
      expect(wasm.engineBytes).toBeGreaterThan(0);
      // workerd's V8 validates relaxed SIMD, so the engine picks that kernel
      expect(wasm.kernel).toBe("relaxed");
      for (const r of [wasm, ort]) {
        expect(Math.abs(r.score - golden!.zeroShotScore)).toBeLessThanOrEqual(0.02);
        // the PNG's 8 bits cost a little correlation; int8 parity asks >= 0.99 of the float map
        expect(compareArrays(r.map, expected).pearson).toBeGreaterThanOrEqual(0.99);
      }
      expect(Math.abs(wasm.score - ort.score)).toBeLessThanOrEqual(0.02);
    });
  }
});

describe("ENGINE unset (auto): an int8-dynamic bundle is served by the engine", () => {
  it("gives the score and map ENGINE=wasm gives, bit for bit", async () => {
    const golden = await goldenCase(1);
    expect(golden, "the oracle case must be readable (../shared beside the checkout)").toBeDefined();
    const auto = await scoreWith(undefined, golden!.object, golden!.image);
    const wasm = await scoreWith("wasm", golden!.object, golden!.image);
    const ort = await scoreWith("ort", golden!.object, golden!.image);
    expect(auto.score).toBe(wasm.score);
    expect([...auto.map]).toEqual([...wasm.map]);
    // onnxruntime-web's int8 path quantizes activations to 8 bits, the engine to 7: the comparison above can tell them apart
    expect(ort.score).not.toBe(wasm.score);
  });
});

describe("ENGINE=wasm: few-shot through a reference set", () => {
  it("embeds 2 shots on the engine and scores few-shot with them", async () => {
    const golden = await goldenCase(0);
    expect(golden).toBeDefined();
    const shot = Uint8Array.from(atob(golden!.image), (c) => c.charCodeAt(0));
    const form = new FormData();
    form.set("object", golden!.object);
    for (let i = 0; i < 2; i++) form.append("images", new Blob([shot]), `shot-${i}.png`);
    const created = await callWithEnv({ MODEL_NAME: NAME, ENGINE: "wasm" }, "/v1/reference-sets", { method: "POST", body: form });
    const createdText = await created.text();
    expect(created.status, createdText).toBe(201);
    const { id } = JSON.parse(createdText) as { id: string };
    const response = await callWithEnv({ MODEL_NAME: NAME, ENGINE: "wasm" }, "/v1/score", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ object: golden!.object, image: golden!.image, referenceSet: id, map: "none" }),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const body = JSON.parse(text) as { mode: string; score: number };
    expect(body.mode).toBe("few-shot");
    expect(body.score).toBeGreaterThanOrEqual(0);
    expect(body.score).toBeLessThanOrEqual(1);
  });
});
