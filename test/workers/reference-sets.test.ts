// Reference sets in workerd: create (multipart and JSON), get, list, few-shot scoring through a set, delete.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceSetKeys } from "../../src/platform/r2-reference-sets";
import { encodeBase64 } from "../../src/shared/base64";
import { referenceSetPage, referenceSetSchema } from "../../src/service/schemas/reference-sets";
import { scoreResponse } from "../../src/service/schemas/score";
import type { ReferenceSetView } from "../../src/usecases/reference-sets";
import type { ScoreResponse } from "../../src/usecases/score-image";
import { syntheticJpeg, syntheticPng } from "./images";
import { callAs, expectError, KEYS, postForm, postJson, postScore, seedBundle, type SeededBundle } from "./seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

const shots = (k: number, variant = 0) => Array.from({ length: k }, (_, i) => syntheticPng(96, 96, variant + i));

async function createSet(object: string, k: number): Promise<ReferenceSetView> {
  return json<ReferenceSetView>(await postForm("/v1/reference-sets", { object, images: shots(k) }), 201);
}

describe("POST /v1/reference-sets", () => {
  it("creates a set from multipart files: calibrated with the served model, stored manifest last", async () => {
    const set = await createSet("pcb", 3);
    expect(referenceSetSchema.safeParse(set).error).toBeUndefined();
    expect(set).toMatchObject({ object: "pcb", shots: 3, modelHash: bundle.modelHash, current: true });
    expect(set.id).toMatch(/^rs_[0-9a-f]{24}$/);
    expect(set.calibration).toMatchObject({ method: "loo-gaussian", k: 3 });
    expect(set.calibration!.threshold).toBeGreaterThan(0);
    if (bundle.random) expect(set.warning).toMatch(/random weights/);
    const manifest = await env.REFERENCE_SETS.get(referenceSetKeys.manifest("tenant-a", set.id));
    expect((await manifest!.json<{ shots: unknown[] }>()).shots).toHaveLength(3);
    const data = await env.REFERENCE_SETS.list({ prefix: referenceSetKeys.data("tenant-a", set.id) });
    expect(data.objects.map((o) => o.key.slice(o.key.lastIndexOf("/") + 1)).sort()).toEqual([
      expect.stringMatching(new RegExp(`^embedding-${bundle.modelHash}-p1-`)),
      "shot-0",
      "shot-1",
      "shot-2",
    ]);
  });

  it("creates a set from a JSON body of base64 images (JPEG and PNG mixed)", async () => {
    const images = [encodeBase64(syntheticJpeg(80, 64, 1)), encodeBase64(syntheticPng(64, 80, 2))];
    const set = await json<ReferenceSetView>(await postJson("/v1/reference-sets", { object: "metal_nut", images }), 201);
    expect(set).toMatchObject({ object: "metal_nut", shots: 2, calibration: { method: "loo-gaussian", k: 2 } });
  });

  it("calibrates a single shot with the documented prior and says so", async () => {
    const set = await createSet("screw", 1);
    expect(set.calibration!.method).toBe("single-shot-prior");
    expect(set.warning).toMatch(/single shot/);
  });
});

describe("GET, list and DELETE /v1/reference-sets", () => {
  it("gets a set, lists it for its tenant, deletes it (then 404 everywhere, nothing left in R2)", async () => {
    const set = await createSet("cable", 2);
    const got = await json<ReferenceSetView>(await callAs(KEYS.a, `/v1/reference-sets/${set.id}`), 200);
    expect(got).toEqual(set);

    const page = await json<{ items: { id: string }[]; cursor: string | null }>(await callAs(KEYS.a, "/v1/reference-sets?limit=1000"), 200);
    expect(referenceSetPage.safeParse(page).error).toBeUndefined();
    expect(page.items).toContainEqual({ id: set.id, object: "cable", shots: 2, createdAt: set.createdAt });

    expect((await callAs(KEYS.a, `/v1/reference-sets/${set.id}`, { method: "DELETE" })).status).toBe(204);
    await expectError(await callAs(KEYS.a, `/v1/reference-sets/${set.id}`), 404, "reference_set_not_found");
    await expectError(await callAs(KEYS.a, `/v1/reference-sets/${set.id}`, { method: "DELETE" }), 404, "reference_set_not_found");
    const after = await json<{ items: { id: string }[] }>(await callAs(KEYS.a, "/v1/reference-sets?limit=1000"), 200);
    expect(after.items.map((i) => i.id)).not.toContain(set.id);
    const left = await env.REFERENCE_SETS.list({ prefix: referenceSetKeys.data("tenant-a", set.id) });
    expect(left.objects).toHaveLength(0);
  });

  it("pages the list with limit and cursor", async () => {
    await createSet("wood", 1);
    await createSet("wood", 1);
    const first = await json<{ items: unknown[]; cursor: string | null }>(await callAs(KEYS.a, "/v1/reference-sets?limit=1"), 200);
    expect(first.items).toHaveLength(1);
    expect(first.cursor).not.toBeNull();
    const second = await json<{ items: unknown[] }>(await callAs(KEYS.a, `/v1/reference-sets?limit=1&cursor=${encodeURIComponent(first.cursor!)}`), 200);
    expect(second.items).toHaveLength(1);
    expect(second.items[0]).not.toEqual(first.items[0]);
    await expectError(await callAs(KEYS.a, "/v1/reference-sets?limit=0"), 400, "invalid_request");
  });

  it("answers 404 for ids that are not set ids at all", async () => {
    await expectError(await callAs(KEYS.a, "/v1/reference-sets/..%2F..%2Fmodels"), 404, "reference_set_not_found");
    await expectError(await callAs(KEYS.a, "/v1/reference-sets/rs_000000000000000000000000"), 404, "reference_set_not_found");
  });
});

describe("POST /v1/score with a reference set (few-shot)", () => {
  it("scores few-shot: calibrated score and threshold, combined map, features from the set", async () => {
    const set = await createSet("bottle", 4);
    const image = encodeBase64(syntheticPng(120, 100, 9));
    const zeroShot = await json<ScoreResponse>(await postScore({ object: "bottle", image }), 200);
    const first = await json<ScoreResponse>(await postScore({ object: "bottle", image, referenceSet: set.id }), 200);
    const again = await json<ScoreResponse>(await postScore({ object: "bottle", image, referenceSet: set.id }), 200);
    expect(scoreResponse.safeParse(first).error).toBeUndefined();
    expect(first).toMatchObject({
      mode: "few-shot",
      threshold: set.calibration!.threshold,
      referenceSet: { id: set.id, shots: 4, calibration: "loo-gaussian" },
    });
    expect(["memory", "stored"]).toContain(first.referenceSet!.features);
    expect(again.referenceSet!.features).toBe("memory");
    expect(again.score).toBe(first.score);
    expect(first.isAnomalous).toBe(first.score >= first.threshold);
    expect(first.score).not.toBe(zeroShot.score);
    // The combined map (zero-shot + few-shot) is at least the zero-shot map everywhere, so its max is too.
    expect(first.map!.max).toBeGreaterThanOrEqual(zeroShot.map!.max);
    const c = set.calibration!;
    expect(first.regionThreshold).toBeCloseTo(c.center + c.zStar * c.spread, 6);
  });

  it("scores few-shot from a multipart upload too", async () => {
    const set = await createSet("grid", 2);
    const body = await json<ScoreResponse>(await postForm("/v1/score", { object: "grid", image: syntheticPng(64, 64, 5), referenceSet: set.id }), 200);
    expect(body.mode).toBe("few-shot");
  });

  it("refuses an unknown set (404) and a set of another object (400 object_mismatch)", async () => {
    const image = encodeBase64(syntheticPng(64, 64));
    await expectError(await postScore({ object: "bottle", image, referenceSet: "rs_0123456789abcdef01234567" }), 404, "reference_set_not_found");
    const set = await createSet("tile", 1);
    await expectError(await postScore({ object: "bottle", image, referenceSet: set.id }), 400, "object_mismatch");
  });
});
