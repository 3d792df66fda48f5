// One route = its OpenAPI description (the zod schemas that also validate it) + its handler.
import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../app-env";
import type { ApiErrorStatus } from "../errors";

export interface RouteSpec {
  method: "get" | "post" | "delete";
  /** OpenAPI path template: /v1/reference-sets/{id}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Bearer API key required (the auth middleware runs before the handler). */
  auth: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A body route gets the body-size limit; JSON and/or multipart, each with its own schema. */
  body?: { json?: z.ZodType; multipart?: z.ZodType; description?: string };
  /** Runs the model: goes through the isolate's admission queue (first come, first served; 503 overloaded when full). */
  admission?: boolean;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Error statuses besides the automatic ones (401 with auth, 400/413/415 with a body, 500). */
  errors?: ApiErrorStatus[];
}

export interface Route {
  spec: RouteSpec;
  handle(c: Context<AppEnv>): Promise<Response> | Response;
}

export function defineRoute(spec: RouteSpec, handle: Route["handle"]): Route {
  return { spec, handle };
}

/** `{id}` (OpenAPI) -> `:id` (Hono). */
export function honoPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}
