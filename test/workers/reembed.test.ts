// Re-embedding in workerd: when the served model changes (another MODEL_NAME, another model hash), a set's features
// are recomputed from its stored shots, lazily on first use or on request, and never mixed across models.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceSetKeys } from "../../src/platform/r2-reference-sets";
import { encodeBase64 } from "../../src/shared/base64";
import type { ReferenceSetView } from "../../src/usecases/reference-sets";
import type { ScoreResponse } from "../../src/usecases/score-image";
import { syntheticPng } from "./images";
import { callWithEnv, KEYS, postForm, seedBundle, type SeededBundle } from "./seed";

/** The same worker serving the second bundle: as after a deploy that changed MODEL_NAME. */
const B = { MODEL_NAME: "demo-b" };
let bundleA: SeededBundle;
let bundleB: SeededBundle;

beforeAll(async () => {
  bundleA = await seedBundle();
  bundleB = await seedBundle("bundle-b", B.MODEL_NAME);
  expect(bundleB.modelHash).not.toBe(bundleA.modelHash);
});

async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function newSet(object: string): Promise<ReferenceSetView> {
  return json(await postForm("/v1/reference-sets", { object, images: [1, 2, 3].map((v) => syntheticPng(80, 80, v)) }, KEYS.a), 201);
}

function scoreWithB(object: string, id: string): Promise<Response> {
  const body = JSON.stringify({ object, image: encodeBase64(syntheticPng(80, 80, 7)), referenceSet: id });
  return callWithEnv(B, "/v1/score", { method: "POST", headers: { "content-type": "application/json" }, body });
}

async function embeddingKeys(id: string): Promise<string[]> {
  const listed = await env.REFERENCE_SETS.list({ prefix: referenceSetKeys.embeddings("tenant-a", id) });
  return listed.objects.map((o) => o.key).sort();
}

describe("a set created under model A, used under model B", () => {
  it("shows as not current under B until used", async () => {
    const set = await newSet("bottle");
    const view = await json<ReferenceSetView>(await callWithEnv(B, `/v1/reference-sets/${set.id}`));
    expect(view).toMatchObject({ id: set.id, modelHash: bundleA.modelHash, current: false, calibration: set.calibration });
    expect(view.warning).toMatch(/re-embeds/);
  });

  it("is re-embedded lazily on first few-shot use under B, then served from storage/memory", async () => {
    const set = await newSet("bottle");
    const first = await json<ScoreResponse>(await scoreWithB("bottle", set.id));
    expect(first.model.modelHash).toBe(bundleB.modelHash);
    expect(first.referenceSet!.features).toBe("reembedded");
    const second = await json<ScoreResponse>(await scoreWithB("bottle", set.id));
    expect(second.referenceSet!.features).toBe("memory");
    expect(second.score).toBe(first.score);
    // One embedding per model; model A's is untouched and still used by A.
    const keys = await embeddingKeys(set.id);
    expect(keys).toHaveLength(2);
    expect(keys.some((k) => k.includes(bundleA.modelHash))).toBe(true);
    expect(keys.some((k) => k.includes(bundleB.modelHash))).toBe(true);
    const underB = await json<ReferenceSetView>(await callWithEnv(B, `/v1/reference-sets/${set.id}`));
    expect(underB).toMatchObject({ modelHash: bundleB.modelHash, current: true });
    // Model B's calibration comes from model B's features: a different model gives different numbers.
    expect(underB.calibration!.center).not.toBe(set.calibration!.center);
    const underA = await json<ReferenceSetView>(await callWithEnv({}, `/v1/reference-sets/${set.id}`));
    expect(underA).toEqual(set);
  });

  it("is re-embedded on request with POST /v1/reference-sets/{id}/reembed", async () => {
    const set = await newSet("bottle");
    const view = await json<ReferenceSetView>(await callWithEnv(B, `/v1/reference-sets/${set.id}/reembed`, { method: "POST" }));
    expect(view).toMatchObject({ id: set.id, shots: 3, modelHash: bundleB.modelHash, current: true, calibration: { method: "loo-gaussian", k: 3 } });
    const scored = await json<ScoreResponse>(await scoreWithB("bottle", set.id));
    expect(["memory", "stored"]).toContain(scored.referenceSet!.features);
  });

  it("deletes the features of every model with the set", async () => {
    const set = await newSet("bottle");
    await json(await scoreWithB("bottle", set.id));
    expect(await embeddingKeys(set.id)).toHaveLength(2);
    expect((await callWithEnv(B, `/v1/reference-sets/${set.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await embeddingKeys(set.id)).toHaveLength(0);
  });
});
