// The HTTP contract in workerd: health from the R2 bundle's manifest, and stable error codes for bad requests.
import { beforeAll, describe, expect, it } from "vitest";
import { call, postScore, seedBundle, type SeededBundle } from "./seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
}

describe("GET /v1/health", () => {
  it("describes the served model", async () => {
    const response = await call("/v1/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      model: {
        name: bundle.name,
        random: bundle.random,
        modelHash: bundle.modelHash,
        imageSize: bundle.imageSize,
        quantization: bundle.quantization,
      },
    });
  });
});

describe("POST /v1/score errors", () => {
  it("rejects an image that is not base64 with invalid_base64", async () => {
    await expectError(await postScore({ object: "bottle", image: "this is *not* base64!" }), 400, "invalid_base64");
  });

  it("rejects base64 of something that is not an image with unsupported_format", async () => {
    await expectError(await postScore({ object: "bottle", image: btoa("GIF89a, or rather: not a PNG or JPEG") }), 415, "unsupported_format");
  });

  it("rejects a body that is not JSON with invalid_json", async () => {
    await expectError(await call("/v1/score", { method: "POST", body: "{object:" }), 400, "invalid_json");
  });

  it("rejects a missing or malformed object name with invalid_request", async () => {
    await expectError(await postScore({ image: btoa("x") }), 400, "invalid_request");
    await expectError(await postScore({ object: "../etc", image: btoa("x") }), 400, "invalid_request");
  });

  it("answers unknown routes with not_found", async () => {
    await expectError(await call("/v1/nothing"), 404, "not_found");
  });
});
