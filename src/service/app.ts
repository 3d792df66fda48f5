// The HTTP API (Hono): health and zero-shot scoring; every error is {"error":{"code","message"}} with a 4xx/5xx.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { Env } from "../platform/env";
import { decodeBase64 } from "./base64";
import { ApiError, errorBody, toApiError } from "./errors";
import { modelRuntime } from "./model-runtime";
import { scoreZeroShot } from "./zero-shot";

/** Largest request body: a base64 upload of about 15 MB. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;

/** Object names go verbatim into the prompt sentences: letters, digits, space, '_', '-', '.'. */
const objectName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, "letters, digits, spaces, '_', '-' and '.', starting with a letter or digit");

const scoreRequest = z.object({ object: objectName, image: z.string() });

export function createApp(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();

  app.get("/v1/health", async (c) => {
    const m = (await modelRuntime(c.env)).bundle.manifest;
    return c.json({
      status: "ok",
      model: { name: m.name, random: m.random, modelHash: m.modelHash, imageSize: m.imageSize, quantization: m.quantization },
    });
  });

  app.post(
    "/v1/score",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      },
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        throw new ApiError(400, "invalid_json", "the request body is not JSON");
      }
      const parsed = scoreRequest.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ApiError(400, "invalid_request", `${issue.path.join(".") || "body"}: ${issue.message}`);
      }
      const image = decodeBase64(parsed.data.image, "image");
      return c.json(await scoreZeroShot(await modelRuntime(c.env), parsed.data.object, image));
    },
  );

  app.notFound(() => {
    throw new ApiError(404, "not_found", "no such route");
  });

  app.onError((e, c) => {
    const error = toApiError(e);
    if (error.status >= 500) console.error(`${c.req.method} ${c.req.path}: ${error.code}: ${error.message}`);
    return c.json(errorBody(error), error.status as ContentfulStatusCode);
  });

  return app;
}
