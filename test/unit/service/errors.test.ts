// The one mapping of domain and engine failures to HTTP: every kind and refusal code to its status, codes unchanged.
import { describe, expect, it } from "vitest";
import { ImageError } from "../../../src/engine/image/image-error";
import { BundleError } from "../../../src/engine/runtime/model-bundle";
import { ApiError, toApiError } from "../../../src/service/errors";
import { DomainError, failureOf } from "../../../src/usecases/domain-error";

describe("toApiError", () => {
  it.each([
    [new DomainError("rejected", "invalid_request", "m"), 400, "invalid_request"],
    [new DomainError("rejected", "invalid_webhook_url", "m", { field: "webhookUrl" }), 400, "invalid_webhook_url"],
    [new DomainError("rejected", "object_mismatch", "m"), 400, "object_mismatch"],
    [new DomainError("rejected", "not_found", "m"), 404, "not_found"],
    [new DomainError("rejected", "reference_set_not_found", "m"), 404, "reference_set_not_found"],
    [new DomainError("unavailable", "storage_error", "m"), 503, "storage_error"],
    [new DomainError("fault", "storage_error", "m"), 500, "storage_error"],
    [new ImageError("unsupported_format", "m"), 415, "unsupported_format"],
    [new ImageError("image_too_large", "m", { maxPixels: 4 }), 413, "image_too_large"],
    [new ImageError("corrupt_image", "m"), 400, "corrupt_image"],
    [new BundleError("bundle_missing_file", "m"), 503, "model_unavailable"],
  ])("%s -> %i %s", (error, status, code) => {
    const api = toApiError(error);
    expect(api).toMatchObject({ status, code });
    expect(api.details).toEqual((error as { details?: object }).details ?? {});
  });

  it("keeps an ApiError and hides anything else behind 500 internal", () => {
    const own = new ApiError(401, "unauthorized", "m");
    expect(toApiError(own)).toBe(own);
    expect(toApiError(new Error("R2 key jobs/acme/..."))).toMatchObject({ status: 500, code: "internal", message: "internal error" });
  });
});

describe("failureOf", () => {
  it("classifies for the job consumer: refusals are final, the rest transient", () => {
    expect(failureOf(new ImageError("corrupt_image", "m")).kind).toBe("rejected");
    expect(failureOf(new BundleError("bundle_invalid", "m")).kind).toBe("unavailable");
    expect(failureOf(new TypeError("x")).kind).toBe("fault");
  });
});
