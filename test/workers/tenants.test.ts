// Tenant isolation in workerd: another tenant's reference set is absent (404), never forbidden, and cannot be touched.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/shared/base64";
import type { ReferenceSetView } from "../../src/usecases/reference-sets";
import { syntheticPng } from "./images";
import { callAs, expectError, KEYS, postForm, postScore, seedBundle } from "./seed";

let setOfA: ReferenceSetView;

beforeAll(async () => {
  await seedBundle();
  const response = await postForm("/v1/reference-sets", { object: "capsule", images: [syntheticPng(64, 64, 1), syntheticPng(64, 64, 2)] }, KEYS.a);
  expect(response.status).toBe(201);
  setOfA = await response.json();
});

describe("tenant isolation", () => {
  it("tenant B gets 404 for tenant A's set: get, re-embed, score", async () => {
    await expectError(await callAs(KEYS.b, `/v1/reference-sets/${setOfA.id}`), 404, "reference_set_not_found");
    await expectError(await callAs(KEYS.b, `/v1/reference-sets/${setOfA.id}/reembed`, { method: "POST" }), 404, "reference_set_not_found");
    const image = encodeBase64(syntheticPng(64, 64));
    await expectError(await postScore({ object: "capsule", image, referenceSet: setOfA.id }, KEYS.b), 404, "reference_set_not_found");
  });

  it("tenant B cannot delete tenant A's set, which stays usable by A", async () => {
    await expectError(await callAs(KEYS.b, `/v1/reference-sets/${setOfA.id}`, { method: "DELETE" }), 404, "reference_set_not_found");
    expect((await callAs(KEYS.a, `/v1/reference-sets/${setOfA.id}`)).status).toBe(200);
    const image = encodeBase64(syntheticPng(64, 64));
    expect((await postScore({ object: "capsule", image, referenceSet: setOfA.id }, KEYS.a)).status).toBe(200);
  });

  it("lists only the caller's sets", async () => {
    const ofB = (await (await callAs(KEYS.b, "/v1/reference-sets?limit=1000")).json()) as { items: { id: string }[] };
    expect(ofB.items.map((i) => i.id)).not.toContain(setOfA.id);
    const ofA = (await (await callAs(KEYS.a, "/v1/reference-sets?limit=1000")).json()) as { items: { id: string }[] };
    expect(ofA.items.map((i) => i.id)).toContain(setOfA.id);
  });
});
