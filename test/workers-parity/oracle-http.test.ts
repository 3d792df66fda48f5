// The oracle's tiny-gelu-224 model behind the real HTTP API in workerd: real MVTec / magnetic-tile files against golden.
import { env } from "cloudflare:workers";
import { decode } from "fast-png";
import { beforeAll, describe, expect, it } from "vitest";
import { compareArrays } from "../../src/parity/compare-arrays";
import { goldenCase, postScore, seedBundle, type SeededBundle } from "../workers/seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

async function goldenZeroShotMap(n: number): Promise<Float32Array> {
  const response = await env.TEST_FILES.fetch(`http://test-files/golden/zero-shot-map/${n}`);
  expect(response.status, `golden zero_shot_map of case ${n}`).toBe(200);
  return new Float32Array(await response.arrayBuffer());
}

describe("oracle parity through POST /v1/score", () => {
  it("serves the oracle's (non-random) model", () => {
    expect(bundle.random).toBe(false);
  });

  for (const n of [0, 1, 2, 3, 4]) {
    it(`golden case ${n}: zero-shot score within 1e-3 and the model-resolution map within the end-to-end tolerance`, async () => {
      const golden = await goldenCase(n);
      expect(golden, "the oracle case must be readable (../shared beside the checkout)").toBeDefined();
      const response = await postScore({ object: golden!.object, image: golden!.image, map: "png", mapResolution: "model" });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      const body = JSON.parse(text) as { score: number; mode: string; map: { width: number; height: number; max: number; data: string } };
      expect(body.mode).toBe("zero-shot");
      expect(Math.abs(body.score - golden!.zeroShotScore)).toBeLessThan(1e-3);

      const expected = await goldenZeroShotMap(n);
      const size = Math.sqrt(expected.length);
      expect([body.map.width, body.map.height]).toEqual([size, size]);
      const png = decode(Uint8Array.from(atob(body.map.data), (c) => c.charCodeAt(0)));
      const pixels = png.data as Uint8Array;
      // The PNG carries map / max in 8 bits: undo it, allowing half a step of quantization on top of the e2e tolerance.
      const map = Float32Array.from(pixels, (v) => (v / 255) * body.map.max);
      const agreement = compareArrays(map, expected);
      expect(agreement.pearson).toBeGreaterThanOrEqual(0.999);
      expect(agreement.maxAbs).toBeLessThanOrEqual(0.05 + body.map.max / 510);
    });
  }
});
