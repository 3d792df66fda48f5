// The HTTP contract in workerd: health from the R2 bundle's manifest, and stable error codes for bad requests.
import { beforeAll, describe, expect, it } from "vitest";
import { call, callAs, expectError, KEYS, postScore, seedBundle, type SeededBundle } from "./seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

describe("GET /v1/health", () => {
  it("describes the served model and the limits, without a key", async () => {
    const response = await call("/v1/health");
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "ok",
      model: {
        name: bundle.name,
        random: bundle.random,
        modelHash: bundle.modelHash,
        imageSize: bundle.imageSize,
        quantization: bundle.quantization,
      },
      limits: {
        maxBodyBytes: 20 * 1024 * 1024,
        maxImagePixels: 4 * 1024 * 1024,
        maxShots: 16,
        bodyIdleTimeoutSeconds: 10,
        bodyDeadlineSeconds: 60,
        admissionMaxRequests: 8,
        admissionMaxBytes: 64 * 1024 * 1024,
        admissionDecodeBytesPerPixel: 8,
      },
    });
    expect(typeof body.promptSet).toBe("string");
    if (bundle.random) expect(body.warning).toMatch(/random weights/);
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
    await expectError(
      await callAs(KEYS.a, "/v1/score", { method: "POST", headers: { "content-type": "application/json" }, body: "{object:" }),
      400,
      "invalid_json",
    );
  });

  it("rejects a missing or malformed object name with invalid_request", async () => {
    await expectError(await postScore({ image: btoa("x") }), 400, "invalid_request");
    await expectError(await postScore({ object: "../etc", image: btoa("x") }), 400, "invalid_request");
  });

  it("answers unknown routes with not_found", async () => {
    await expectError(await callAs(KEYS.a, "/v1/nothing"), 404, "not_found");
    await expectError(await call("/nothing"), 404, "not_found");
  });
});
