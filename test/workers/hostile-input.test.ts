// Hostile and malformed input in workerd: every rejection is a 4xx with a stable code, decided before decoding.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/shared/base64";
import { badCrcPng, GIF, hugeDeclaredPng, oversizedFrameJpeg, syntheticPng, truncatedPng } from "./images";
import { callAs, callWithEnv, expectError, KEYS, postForm, postJson, postScore, seedBundle } from "./seed";

beforeAll(async () => {
  await seedBundle();
});

const png = syntheticPng(64, 64);

describe("malformed images", () => {
  it("truncated PNG -> 400 corrupt_image (JSON and multipart)", async () => {
    await expectError(await postScore({ object: "bottle", image: encodeBase64(truncatedPng()) }), 400, "corrupt_image");
    await expectError(await postForm("/v1/score", { object: "bottle", image: truncatedPng() }), 400, "corrupt_image");
  });

  it("a PNG whose IHDR fails its CRC -> 400 corrupt_image saying so (PIL: broken PNG file)", async () => {
    for (const response of [
      await postScore({ object: "bottle", image: encodeBase64(badCrcPng()) }),
      await postForm("/v1/score", { object: "bottle", image: badCrcPng() }),
    ]) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "corrupt_image", message: expect.stringMatching(/IHDR checksum/) } });
    }
  });

  it("a JPEG whose frame header claims 2000x2000 over 64x64 of data -> 400 corrupt_image, not a 2000x2000 score", async () => {
    const response = await postForm("/v1/score", { object: "bottle", image: oversizedFrameJpeg() });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "corrupt_image", message: expect.stringMatching(/ends before the 2000x2000 frame/) } });
  });

  it("GIF -> 415 unsupported_format", async () => {
    await expectError(await postScore({ object: "bottle", image: encodeBase64(GIF) }), 415, "unsupported_format");
    await expectError(await postForm("/v1/score", { object: "bottle", image: GIF }), 415, "unsupported_format");
  });

  it("a header declaring 40000 x 40000 pixels -> 413 image_too_large, without decoding", async () => {
    const response = await postScore({ object: "bottle", image: encodeBase64(hugeDeclaredPng()) });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; details: Record<string, number> } };
    expect(body.error).toMatchObject({ code: "image_too_large", details: { width: 40000, height: 40000, maxPixels: 4 * 1024 * 1024 } });
  });

  it("follows MAX_IMAGE_PIXELS", async () => {
    const body = JSON.stringify({ object: "bottle", image: encodeBase64(png) });
    const response = await callWithEnv({ MAX_IMAGE_PIXELS: "1000" }, "/v1/score", { method: "POST", headers: { "content-type": "application/json" }, body });
    await expectError(response, 413, "image_too_large");
  });

  it("bad base64 -> 400 invalid_base64, naming the field", async () => {
    await expectError(await postScore({ object: "bottle", image: "%%%not-base64%%%" }), 400, "invalid_base64");
    const response = await postJson("/v1/reference-sets", { object: "bottle", images: [encodeBase64(png), "abc$"] });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_base64", message: "images[1] is not valid base64" } });
  });
});

describe("malformed bodies", () => {
  it("missing fields -> 400 invalid_request naming the field", async () => {
    const cases: [string, Response][] = [
      ["image", await postScore({ object: "bottle" })],
      ["object", await postForm("/v1/score", { image: png })],
      ["image", await postForm("/v1/score", { object: "bottle" })],
      ["images", await postJson("/v1/reference-sets", { object: "bottle" })],
      ["images", await postForm("/v1/reference-sets", { object: "bottle" })],
    ];
    for (const [field, response] of cases) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "invalid_request", details: { field } } });
    }
  });

  it("wrong field types and values -> 400 invalid_request", async () => {
    await expectError(await postScore({ object: "bottle", image: encodeBase64(png), map: "jpeg" }), 400, "invalid_request");
    await expectError(await postScore({ object: "bottle", image: encodeBase64(png), regions: "yes" }), 400, "invalid_request");
    await expectError(await postForm("/v1/score", { object: "bottle", image: png, regions: "maybe" }), 400, "invalid_request");
    await expectError(await postForm("/v1/score", { object: "bottle", image: "a string, not a file" }), 400, "invalid_request");
    await expectError(await postScore({ object: "x".repeat(65), image: encodeBase64(png) }), 400, "invalid_request");
    await expectError(await postScore({ object: "bottle<script>", image: encodeBase64(png) }), 400, "invalid_request");
  });

  it("a second image part, or any single field sent twice -> 400 invalid_request naming the field", async () => {
    const twoImages = await postForm("/v1/score", { object: "bottle", image: [png, syntheticPng(32, 32)] });
    expect(twoImages.status).toBe(400);
    expect(await twoImages.json()).toMatchObject({
      error: { code: "invalid_request", message: expect.stringMatching(/sent 2 times/), details: { field: "image" } },
    });
    const form = new FormData();
    form.append("object", "bottle");
    form.append("image", new Blob([png as Uint8Array<ArrayBuffer>]), "a.png");
    form.append("image[]", new Blob([png as Uint8Array<ArrayBuffer>]), "b.png");
    await expectError(await callAs(KEYS.a, "/v1/score", { method: "POST", body: form }), 400, "invalid_request");
    await expectError(await postForm("/v1/score", { object: ["bottle", "bottle"] as never, image: png }), 400, "invalid_request");
  });

  it('referenceSet: "" -> 400 invalid_request, not 404 (JSON and multipart)', async () => {
    for (const response of [
      await postScore({ object: "bottle", image: encodeBase64(png), referenceSet: "" }),
      await postForm("/v1/score", { object: "bottle", image: png, referenceSet: "" }),
    ]) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "invalid_request", details: { field: "referenceSet" } } });
    }
  });

  it("17 images, or none -> 400 invalid_request (JSON and multipart)", async () => {
    const seventeen = Array.from({ length: 17 }, () => png);
    await expectError(await postForm("/v1/reference-sets", { object: "bottle", images: seventeen }), 400, "invalid_request");
    await expectError(await postJson("/v1/reference-sets", { object: "bottle", images: seventeen.map(encodeBase64) }), 400, "invalid_request");
    await expectError(await postJson("/v1/reference-sets", { object: "bottle", images: [] }), 400, "invalid_request");
  });

  it("a body over MAX_BODY_BYTES -> 413 payload_too_large, with or without Content-Length", async () => {
    const body = JSON.stringify({ object: "bottle", image: encodeBase64(png) });
    const init = { method: "POST", headers: { "content-type": "application/json" } };
    await expectError(await callWithEnv({ MAX_BODY_BYTES: "1000" }, "/v1/score", { ...init, body }), 413, "payload_too_large");
    const stream = new Blob([body]).stream();
    await expectError(await callWithEnv({ MAX_BODY_BYTES: "1000" }, "/v1/reference-sets", { ...init, body: stream }), 413, "payload_too_large");
  });

  it("a stalled body -> 408 request_timeout after BODY_IDLE_TIMEOUT_SECONDS, and the stream is cancelled", async () => {
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new TextEncoder().encode("--b\r\n")),
      cancel: () => {
        cancelled = true;
      },
    });
    const init = { method: "POST", headers: { "content-type": "multipart/form-data; boundary=b" }, body: stalled, duplex: "half" } as RequestInit;
    const started = Date.now();
    await expectError(await callWithEnv({ BODY_IDLE_TIMEOUT_SECONDS: "0.2" }, "/v1/score", init), 408, "request_timeout");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(cancelled).toBe(true);
  });

  it("a body nobody reads (unknown path, missing key) is read to its end before the answer; an endless one is cut at MAX_BODY_BYTES", async () => {
    for (const [path, key] of [
      ["/nonexistent", KEYS.a],
      ["/v1/score", "not-a-valid-key-000000000000"],
    ] as const) {
      for (const endless of [false, true]) {
        const state = { sent: 0, ended: false, cancelled: false };
        const body = new ReadableStream<Uint8Array>({
          pull: (c) => {
            if (!endless && state.sent >= 50 * 1024) {
              state.ended = true;
              c.close();
              return;
            }
            state.sent += 1024;
            c.enqueue(new Uint8Array(1024));
          },
          cancel: () => {
            state.cancelled = true;
          },
        });
        const init = { method: "POST", body, duplex: "half" } as RequestInit;
        const response = await callWithEnv({ MAX_BODY_BYTES: "100000" }, path, init, key);
        expect([404, 401]).toContain(response.status);
        if (endless) {
          expect(state.cancelled).toBe(true);
          expect(state.sent).toBeLessThan(200_000);
        } else {
          expect(state).toMatchObject({ ended: true, cancelled: false });
        }
      }
    }
  });

  it("other media types -> 415 unsupported_media_type; broken multipart -> 400 invalid_multipart", async () => {
    await expectError(
      await callAs(KEYS.a, "/v1/score", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }),
      415,
      "unsupported_media_type",
    );
    await expectError(await callAs(KEYS.a, "/v1/score", { method: "POST", body: "no content type" }), 415, "unsupported_media_type");
    const broken = { method: "POST", headers: { "content-type": "multipart/form-data; boundary=xyz" }, body: "--xyz\r\ngarbage" };
    await expectError(await callAs(KEYS.a, "/v1/score", broken), 400, "invalid_multipart");
  });
});

describe("nothing half-written", () => {
  it("a set whose third image is corrupt is refused (naming the image) and leaves nothing in R2", async () => {
    const before = await env.REFERENCE_SETS.list({ prefix: "data/tenant-b/" });
    const response = await postForm("/v1/reference-sets", { object: "bottle", images: [png, syntheticPng(64, 64, 3), truncatedPng()] }, KEYS.b);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "corrupt_image", details: { shot: 2 } } });
    const after = await env.REFERENCE_SETS.list({ prefix: "data/tenant-b/" });
    expect(after.objects.length).toBe(before.objects.length);
  });
});
