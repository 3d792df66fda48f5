// The worker's vars read once and checked: required names present, numbers with their defaults when unset or invalid.
import { z } from "zod";
import type { Env } from "../platform/env";
import { ENGINE_SETTINGS, type EngineSetting } from "./image-engine";
import { backoffBase } from "../usecases/jobs/backoff";
import { LEASE_MS } from "../usecases/jobs/process-job";
import { positiveIntVar, positiveNumberVar } from "../shared/var-numbers";
import { DEFAULT_LIMITS, type Limits } from "../usecases/limits";
import { DEFAULT_GRACE_MS } from "../usecases/recovery/recovery-settings";
import { DEFAULT_DOH_URL } from "../webhooks/resolve-host";

export interface Config {
  modelName: string;
  /** ENGINE: what runs the image tower's blocks ("auto", default: the engine for int8-dynamic bundles, else onnxruntime-web; "ort"; "wasm"); a staged bundle's run in its stage Workers, on theirs. */
  engine: EngineSetting;
  limits: Limits;
  /** The bootstrap secret API_KEYS, unparsed (src/usecases/api-keys.ts parses it once per isolate). */
  bootstrapApiKeys: string | undefined;
  allowPrivateWebhooks: boolean;
  dohUrl: string;
  backoffBaseSeconds: number;
  deadLetterQueue: string;
  /** A consumer's lease on a job; the reconciler re-enqueues a job that far past due (JOB_LEASE_SECONDS). */
  leaseMs: number;
  /** Age after which the reconciler removes a write left without its manifest or record (UPLOAD_GRACE_SECONDS). */
  graceMs: number;
}

const vars = z.object({
  MODEL_NAME: z.string().min(1, "MODEL_NAME (wrangler.toml [vars]) names the served bundle"),
  JOBS_DEAD_LETTER_QUEUE: z.string().min(1, "JOBS_DEAD_LETTER_QUEUE (wrangler.toml [vars]) names the dead-letter queue"),
  API_KEYS: z.string().optional(),
  ENGINE: z.enum(ENGINE_SETTINGS, { message: 'ENGINE (wrangler.toml [vars]) is "auto", "ort" or "wasm"' }).optional(),
  MAX_BODY_BYTES: z.string().optional(),
  MAX_IMAGE_PIXELS: z.string().optional(),
  BODY_IDLE_TIMEOUT_SECONDS: z.string().optional(),
  BODY_DEADLINE_SECONDS: z.string().optional(),
  ADMISSION_MAX_REQUESTS: z.string().optional(),
  ADMISSION_MAX_BYTES: z.string().optional(),
  ADMISSION_DECODE_BYTES_PER_PIXEL: z.string().optional(),
  ALLOW_PRIVATE_WEBHOOKS: z.string().optional(),
  WEBHOOK_DNS_RESOLVER: z.string().optional(),
  WEBHOOK_BACKOFF_BASE_SECONDS: z.string().optional(),
  JOB_LEASE_SECONDS: z.string().optional(),
  UPLOAD_GRACE_SECONDS: z.string().optional(),
});

/** Throws on a deployment that lacks a required var: every request would fail later, and less clearly. */
export function readConfig(env: Env): Config {
  const parsed = vars.safeParse(env);
  if (!parsed.success) throw new Error(`worker configuration: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const v = parsed.data;
  return {
    modelName: v.MODEL_NAME,
    engine: v.ENGINE ?? "auto",
    limits: {
      maxBodyBytes: positiveIntVar(v.MAX_BODY_BYTES, DEFAULT_LIMITS.maxBodyBytes),
      maxImagePixels: positiveIntVar(v.MAX_IMAGE_PIXELS, DEFAULT_LIMITS.maxImagePixels),
      bodyIdleTimeoutSeconds: positiveNumberVar(v.BODY_IDLE_TIMEOUT_SECONDS, DEFAULT_LIMITS.bodyIdleTimeoutSeconds),
      bodyDeadlineSeconds: positiveNumberVar(v.BODY_DEADLINE_SECONDS, DEFAULT_LIMITS.bodyDeadlineSeconds),
      admissionMaxRequests: positiveIntVar(v.ADMISSION_MAX_REQUESTS, DEFAULT_LIMITS.admissionMaxRequests),
      admissionMaxBytes: positiveIntVar(v.ADMISSION_MAX_BYTES, DEFAULT_LIMITS.admissionMaxBytes),
      admissionDecodeBytesPerPixel: positiveNumberVar(v.ADMISSION_DECODE_BYTES_PER_PIXEL, DEFAULT_LIMITS.admissionDecodeBytesPerPixel),
    },
    bootstrapApiKeys: v.API_KEYS,
    // On only when exactly "true".
    allowPrivateWebhooks: v.ALLOW_PRIVATE_WEBHOOKS === "true",
    dohUrl: v.WEBHOOK_DNS_RESOLVER || DEFAULT_DOH_URL,
    backoffBaseSeconds: backoffBase(v.WEBHOOK_BACKOFF_BASE_SECONDS),
    deadLetterQueue: v.JOBS_DEAD_LETTER_QUEUE,
    leaseMs: positiveIntVar(v.JOB_LEASE_SECONDS, LEASE_MS / 1000) * 1000,
    graceMs: positiveIntVar(v.UPLOAD_GRACE_SECONDS, DEFAULT_GRACE_MS / 1000) * 1000,
  };
}
