// The deployment's limits (src/composition/config.ts) as the body reader and the admission queue take them.
import type { Limits } from "../usecases/limits";
import type { AdmissionLimits } from "./admission";
import type { BodyReadLimits } from "./body-reader";

export function bodyReadLimits(limits: Limits): BodyReadLimits {
  return { maxBytes: limits.maxBodyBytes, idleTimeoutMs: limits.bodyIdleTimeoutSeconds * 1000, deadlineMs: limits.bodyDeadlineSeconds * 1000 };
}

export function admissionLimits(limits: Limits): AdmissionLimits {
  return {
    maxRequests: limits.admissionMaxRequests,
    maxBytes: limits.admissionMaxBytes,
    reservedBytes: limits.maxImagePixels * limits.admissionDecodeBytesPerPixel,
  };
}
