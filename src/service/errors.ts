// API errors: a stable machine code, a message and an HTTP status; engine errors mapped onto them.
import { ImageError } from "../engine/image/image-error";
import { BundleError } from "../engine/runtime/model-bundle";

/** Every code the API answers with; clients may switch on these, so they never change meaning. */
export const API_ERROR_CODES = [
  "invalid_json",
  "invalid_multipart",
  "invalid_request",
  "invalid_base64",
  "invalid_webhook_url",
  "unauthorized",
  "payload_too_large",
  "unsupported_media_type",
  "unsupported_format",
  "corrupt_image",
  "image_too_large",
  "not_found",
  "reference_set_not_found",
  "object_mismatch",
  "model_unavailable",
  "storage_error",
  "internal",
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export type ApiErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 500 | 503;

export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: ApiErrorStatus,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: Record<string, string | number> };
}

/** Any thrown value as an ApiError: known engine errors keep their meaning, the rest is a 500. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ImageError) {
    const status = e.code === "unsupported_format" ? 415 : e.code === "image_too_large" ? 413 : 400;
    return new ApiError(status, e.code, e.message, e.details);
  }
  if (e instanceof BundleError) return new ApiError(503, "model_unavailable", e.message);
  // The cause stays in the logs (app.onError): its message may name storage keys or internals.
  return new ApiError(500, "internal", "internal error");
}

export function errorBody(e: ApiError): ErrorBody {
  const details = Object.keys(e.details).length > 0 ? { ...e.details } : undefined;
  return { error: { code: e.code, message: e.message, ...(details ? { details } : {}) } };
}
