// Zero-shot scoring in workerd through onnxruntime-web: JSON and multipart, map and regions, KV text features.
import { decode } from "fast-png";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { textFeatureKey } from "../../src/platform/kv-text-features";
import { ortWasmHeapBytes } from "../../src/platform/ort-wasm";
import { decodeBase64, encodeBase64 } from "../../src/shared/base64";
import { scoreResponse } from "../../src/service/schemas/score";
import type { ScoreResponseJson as ScoreResponse } from "../../src/usecases/score-image";
import { syntheticJpeg, syntheticPng } from "./images";
import { postForm, postScore, seedBundle, type SeededBundle } from "./seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

async function ok(response: Response): Promise<ScoreResponse> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const body = JSON.parse(text) as ScoreResponse;
  // The documented response schema (also the OpenAPI one) holds for every answer.
  expect(scoreResponse.safeParse(body).error).toBeUndefined();
  return body;
}

async function score(object: string, image: string, extra: Record<string, unknown> = {}): Promise<{ body: ScoreResponse; ms: number }> {
  const start = Date.now();
  const body = await ok(await postScore({ object, image, ...extra }));
  return { body, ms: Date.now() - start };
}

describe("POST /v1/score (zero-shot)", () => {
  it("scores a synthetic PNG: score in [0, 1], a map PNG of the upload's size, the model and its warning", async () => {
    const cold = await score("bottle", encodeBase64(syntheticPng(160, 120)));
    const warm = await score("bottle", encodeBase64(syntheticPng(160, 120)));
    const { body } = warm;
    expect(body).toMatchObject({ object: "bottle", mode: "zero-shot", threshold: 0.5, textFeatures: "memory", referenceSet: null });
    expect(body.model).toEqual({ name: bundle.name, random: bundle.random, modelHash: bundle.modelHash });
    if (bundle.random) expect(body.warning).toMatch(/random weights/);
    expect(body.score).toBeGreaterThanOrEqual(0);
    expect(body.score).toBeLessThanOrEqual(1);
    expect(body.isAnomalous).toBe(body.score >= 0.5);
    expect(body.score).toBe(cold.body.score);
    const png = decode(decodeBase64(body.map!.data)!);
    expect([png.width, png.height, png.channels, body.map!.width, body.map!.height]).toEqual([160, 120, 1, 160, 120]);
    expect(body.map!.max).toBeGreaterThan(0);
    expect(body.image).toEqual({ format: "png", width: 160, height: 120 });
    console.log(`synthetic 160x120: cold ${cold.ms} ms ${JSON.stringify(cold.body.timings)}; warm ${warm.ms} ms ${JSON.stringify(warm.body.timings)}`);
  });

  it("gives regions as boxes inside the image, each at or above regionThreshold", async () => {
    const { body } = await score("bottle", encodeBase64(syntheticPng(300, 200)));
    expect(body.regionThreshold).toBe(0.5 * bundle.layers.zeroShot.length);
    expect(body.regions!.length).toBeLessThanOrEqual(32);
    for (const r of body.regions!) {
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.y).toBeGreaterThanOrEqual(0);
      expect(r.x + r.width).toBeLessThanOrEqual(300);
      expect(r.y + r.height).toBeLessThanOrEqual(200);
      expect(r.score).toBeGreaterThanOrEqual(body.regionThreshold!);
    }
  });

  it("omits the map and regions when asked to, and gives the model-resolution map on request", async () => {
    const none = await score("bottle", encodeBase64(syntheticPng(90, 60)), { map: "none", regions: false });
    expect([none.body.map, none.body.regions, none.body.regionThreshold]).toEqual([null, null, null]);
    const model = await score("bottle", encodeBase64(syntheticPng(90, 60)), { mapResolution: "model" });
    expect([model.body.map!.width, model.body.map!.height]).toEqual([bundle.imageSize, bundle.imageSize]);
    expect(model.body.score).toBe(none.body.score);
  });

  it("takes multipart uploads (a JPEG file) with the same options as text fields", async () => {
    const body = await ok(await postForm("/v1/score", { object: "bottle", image: syntheticJpeg(120, 80), regions: "false", map: "png" }));
    expect(body).toMatchObject({ mode: "zero-shot", regions: null, image: { format: "jpeg", width: 120, height: 80 } });
    expect([body.map!.width, body.map!.height]).toEqual([120, 80]);
    const json = await score("bottle", encodeBase64(syntheticJpeg(120, 80)), { regions: false });
    expect(json.body.score).toBe(body.score);
  });

  it("keeps ORT's wasm heap (image and text towers loaded) under half of the 128 MB isolate limit", () => {
    expect(ortWasmHeapBytes()).toBeGreaterThan(0);
    expect(ortWasmHeapBytes()).toBeLessThan(64 * 2 ** 20);
  });

  it("stores the object's text features in KV under model hash, prompt set and name", async () => {
    const stored = await env.TEXT_FEATURES.get(textFeatureKey(bundle.modelHash, "bottle"), "arrayBuffer");
    expect(stored?.byteLength).toBe(2 * bundle.architecture.embedDim * 4);
    expect(textFeatureKey(bundle.modelHash, "bottle")).toMatch(new RegExp(`^tf/${bundle.modelHash}/p1-[^/]+/bottle$`));
  });
});
