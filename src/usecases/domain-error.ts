// What a use case refuses or fails with: a stable code, whether a retry can help, and facts for the caller.
import { ImageError } from "../engine/image/image-error";
import { BundleError } from "../engine/runtime/model-bundle";
import { StageError } from "../engine/staging/stage-port";

/** Codes of the use cases' own errors; they reach clients unchanged (API errors, job errors in webhooks). */
export type DomainErrorCode =
  | "invalid_request"
  | "invalid_webhook_url"
  | "not_found"
  | "reference_set_not_found"
  | "object_mismatch"
  | "storage_error"
  | "dns_unavailable";

/**
 * rejected: the input is wrong, a retry with the same input fails again (a job fails for good).
 * unavailable: a dependency (storage, queue, the model) is down for now; a retry may pass.
 * fault: a broken invariant (e.g. stored data that does not match its manifest).
 */
export type FailureKind = "rejected" | "unavailable" | "fault";

export type Details = Readonly<Record<string, string | number>>;

export class DomainError extends Error {
  override readonly name = "DomainError";

  constructor(
    readonly kind: FailureKind,
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Details = {},
  ) {
    super(message);
  }
}

/** Any thrown value classified: the use cases' errors, the engine's errors, and the rest as an internal fault. */
export interface Failure {
  kind: FailureKind;
  code: DomainErrorCode | ImageError["code"] | "model_unavailable" | "stage_unavailable" | "internal";
  message: string;
  details: Details;
}

export function failureOf(e: unknown): Failure {
  if (e instanceof DomainError || e instanceof ImageError) {
    const kind = e instanceof DomainError ? e.kind : "rejected";
    return { kind, code: e.code, message: e.message, details: e.details };
  }
  if (e instanceof BundleError) return { kind: "unavailable", code: "model_unavailable", message: e.message, details: {} };
  if (e instanceof StageError) return { kind: "unavailable", code: "stage_unavailable", message: e.message, details: {} };
  // The cause stays in the logs: its message may name storage keys or internals.
  return { kind: "fault", code: "internal", message: "internal error", details: {} };
}
