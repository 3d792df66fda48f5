// Bearer API keys (RFC 6750): resolves the key's tenant onto the context, or answers 401 unauthorized.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

const BEARER = /^Bearer +(\S+) *$/i;

export function requireApiKey(): MiddlewareHandler<AppEnv> {
  return async function requireApiKey(c, next) {
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    if (!match) throw new ApiError(401, "unauthorized", "send an API key as Authorization: Bearer <key>");
    const tenant = await c.var.services.authenticate(match[1]!);
    if (!tenant) throw new ApiError(401, "unauthorized", "the API key is not valid");
    c.set("tenant", tenant);
    await next();
  };
}
