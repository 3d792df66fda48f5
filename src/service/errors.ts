// API errors: a stable machine code, a message and an HTTP status; the one place domain failures become HTTP.
import { type Failure, failureOf } from "../usecases/domain-error";

/** Every code the API answers with; clients may switch on these, so they never change meaning. */
export const API_ERROR_CODES = [
  "invalid_json",
  "invalid_multipart",
  "invalid_request",
  "invalid_base64",
  "invalid_webhook_url",
  "unauthorized",
  "payload_too_large",
  "request_timeout",
  "unsupported_media_type",
  "unsupported_format",
  "corrupt_image",
  "image_too_large",
  "not_found",
  "reference_set_not_found",
  "object_mismatch",
  "model_unavailable",
  "stage_unavailable",
  "dns_unavailable",
  "storage_error",
  "overloaded",
  "service_restarting",
  "internal",
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export type ApiErrorStatus = 400 | 401 | 404 | 408 | 409 | 413 | 415 | 500 | 503;

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

/** Statuses of refused input, by code; refusals not listed are 400. */
const REJECTED_STATUS: Partial<Record<Failure["code"], ApiErrorStatus>> = {
  not_found: 404,
  reference_set_not_found: 404,
  unsupported_format: 415,
  image_too_large: 413,
};

function statusOf(f: Failure): ApiErrorStatus {
  if (f.kind === "rejected") return REJECTED_STATUS[f.code] ?? 400;
  return f.kind === "unavailable" ? 503 : 500;
}

/** Any thrown value as an ApiError: domain and engine failures keep their code, the rest is a 500. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const failure = failureOf(e);
  return new ApiError(statusOf(failure), failure.code, failure.message, failure.details);
}

export function errorBody(e: ApiError): ErrorBody {
  const details = Object.keys(e.details).length > 0 ? { ...e.details } : undefined;
  return { error: { code: e.code, message: e.message, ...(details ? { details } : {}) } };
}
