// Checks of POST /v1/jobs beyond its schema, all made before anything is stored or queued.
import { assertPixelLimit, readImageInfo } from "../../engine/image/dimensions";
import type { Env } from "../../platform/env";
import { referenceSetNotFound } from "../../usecases/few-shot-reference";
import type { Limits } from "../../usecases/limits";
import type { ReferenceSetStore } from "../../usecases/reference-set-store";
import { REFERENCE_SET_ID } from "../../usecases/reference-sets";
import type { ScoreInput } from "../../usecases/score-contract";
import { parseIpv4 } from "../../webhooks/ip-ranges";
import { DEFAULT_DOH_URL, resolvePublicHost } from "../../webhooks/resolve-host";
import { checkWebhookUrl } from "../../webhooks/webhook-url";
import { decodeBase64 } from "../base64";
import { ApiError } from "../errors";
import type { CreateJobRequest } from "../schemas/jobs";

export interface JobRequest {
  input: ScoreInput;
  webhookUrl: string;
}

/** ALLOW_PRIVATE_WEBHOOKS is on only when exactly "true". */
export function allowPrivateWebhooks(env: Pick<Env, "ALLOW_PRIVATE_WEBHOOKS">): boolean {
  return env.ALLOW_PRIVATE_WEBHOOKS === "true";
}

/** The webhook URL, base64, image format and size from the header (no decoding); throws ApiError like POST /v1/score. */
export function checkJobRequest(body: CreateJobRequest, limits: Limits, allowPrivate: boolean): JobRequest {
  const url = checkWebhookUrl(body.webhookUrl, { allowPrivate });
  if (!url.ok) throw new ApiError(400, "invalid_webhook_url", `webhookUrl: ${url.reason}`, { field: "webhookUrl" });
  const image = decodeBase64(body.image, "image");
  const info = readImageInfo(image);
  assertPixelLimit(info.width, info.height, limits.maxImagePixels);
  const input: ScoreInput = { object: body.object, image, map: body.map, regions: body.regions };
  if (body.referenceSet !== undefined) input.referenceSet = body.referenceSet;
  return { input, webhookUrl: url.url.href };
}

/** A named (not literal-IP) webhook host must resolve to public addresses only; skipped with ALLOW_PRIVATE_WEBHOOKS. */
export async function checkWebhookHost(webhookUrl: string, env: Pick<Env, "ALLOW_PRIVATE_WEBHOOKS" | "WEBHOOK_DNS_RESOLVER">): Promise<void> {
  if (allowPrivateWebhooks(env)) return;
  const host = new URL(webhookUrl).hostname;
  if (host.startsWith("[") || parseIpv4(host) !== undefined) return; // literal addresses: checked by checkWebhookUrl
  const resolved = await resolvePublicHost(host, fetch, env.WEBHOOK_DNS_RESOLVER || DEFAULT_DOH_URL);
  if (!resolved.ok) throw new ApiError(400, "invalid_webhook_url", `webhookUrl: ${resolved.reason}`, { field: "webhookUrl" });
}

/** The reference set must exist and be of the same object now; one deleted later fails the job (score.failed). */
export async function checkReferenceSet(store: ReferenceSetStore, tenant: string, input: ScoreInput): Promise<void> {
  if (input.referenceSet === undefined) return;
  const manifest = REFERENCE_SET_ID.test(input.referenceSet) ? await store.getManifest(tenant, input.referenceSet) : undefined;
  if (!manifest) throw referenceSetNotFound(input.referenceSet);
  if (manifest.object !== input.object) {
    throw new ApiError(400, "object_mismatch", `reference set ${input.referenceSet} is for "${manifest.object}", not "${input.object}"`);
  }
}
