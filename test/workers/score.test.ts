// Zero-shot scoring in workerd through onnxruntime-web: parity with the oracle, the map PNG and the KV text-feature cache.
import { decode, encode } from "fast-png";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { textFeatureKey } from "../../src/platform/kv-text-features";
import { ortWasmHeapBytes } from "../../src/platform/ort-wasm";
import { decodeBase64, encodeBase64 } from "../../src/service/base64";
import type { ZeroShotResponse } from "../../src/service/zero-shot";
import { goldenCase, postScore, seedBundle, type SeededBundle } from "./seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

/** A small RGB test card: gradients with a dark square. */
function syntheticPng(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const dark = x > width / 3 && x < width / 2 && y > height / 3 && y < height / 2;
      data[o] = dark ? 20 : (255 * x) / width;
      data[o + 1] = dark ? 20 : (255 * y) / height;
      data[o + 2] = 128;
    }
  }
  return encode({ width, height, data, channels: 3, depth: 8 });
}

async function score(object: string, image: string): Promise<{ body: ZeroShotResponse; ms: number }> {
  const start = Date.now();
  const response = await postScore({ object, image });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return { body: JSON.parse(text) as ZeroShotResponse, ms: Date.now() - start };
}

describe("POST /v1/score (zero-shot)", () => {
  it("scores a synthetic PNG: score in [0, 1], a map PNG of the upload's size", async () => {
    const cold = await score("bottle", encodeBase64(syntheticPng(160, 120)));
    const warm = await score("bottle", encodeBase64(syntheticPng(160, 120)));
    const { body } = warm;
    expect(body).toMatchObject({ object: "bottle", mode: "zero-shot", threshold: 0.5, textFeatures: "memory" });
    expect(body.score).toBeGreaterThanOrEqual(0);
    expect(body.score).toBeLessThanOrEqual(1);
    expect(body.isAnomalous).toBe(body.score >= 0.5);
    expect(body.score).toBe(cold.body.score);
    const png = decode(decodeBase64(body.map.data, "map"));
    expect([png.width, png.height, png.channels, body.map.width, body.map.height]).toEqual([160, 120, 1, 160, 120]);
    expect(body.map.max).toBeGreaterThan(0);
    console.log(`synthetic 160x120: cold ${cold.ms} ms ${JSON.stringify(cold.body.timings)}; warm ${warm.ms} ms ${JSON.stringify(warm.body.timings)}`);
  });

  it("keeps ORT's wasm heap (image and text towers loaded) under half of the 128 MB isolate limit", () => {
    expect(ortWasmHeapBytes()).toBeGreaterThan(0);
    expect(ortWasmHeapBytes()).toBeLessThan(64 * 2 ** 20);
  });

  it("stores the object's text features in KV under model hash, prompt set and name", async () => {
    const stored = await env.TEXT_FEATURES.get(textFeatureKey(bundle.modelHash, "bottle"), "arrayBuffer");
    expect(stored?.byteLength).toBe(2 * bundle.architecture.embedDim * 4);
  });

  it("matches the oracle's zero-shot score of MVTec bottle/broken_large/000.png within 1e-3", async (ctx) => {
    if (bundle.random) return ctx.skip("the seeded bundle is random (MODEL_BUNDLE_DIR is not the oracle's model)");
    const golden = await goldenCase(1);
    if (!golden) return ctx.skip("no oracle golden folder (GOLDEN_DIR)");
    const first = await score(golden.object, golden.image);
    const warm = [];
    for (let i = 0; i < 3; i++) warm.push(await score(golden.object, golden.image));
    expect(Math.abs(first.body.score - golden.zeroShotScore)).toBeLessThan(1e-3);
    expect(first.body.map.width).toBe(900);
    console.log(
      `golden case 1: score ${first.body.score} (oracle ${golden.zeroShotScore}); first ${first.ms} ms, warm ${warm.map((w) => w.ms).join("/")} ms ` +
        `${JSON.stringify(warm.at(-1)!.body.timings)}; ORT wasm heap ${(ortWasmHeapBytes() / 2 ** 20).toFixed(1)} MiB`,
    );
  });
});
