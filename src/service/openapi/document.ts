// The OpenAPI 3.1 document, built from the routes' zod schemas with zod 4's JSON Schema (2020-12) output.
import { z } from "zod";
import type { ApiErrorStatus } from "../errors";
import { errorSchema } from "../schemas/common";
import type { Route, RouteSpec } from "./route";

type Json = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Record<ApiErrorStatus, string> = {
  400: "Invalid request (invalid_json, invalid_multipart, invalid_request, invalid_base64, corrupt_image, object_mismatch)",
  401: "Missing or invalid API key (unauthorized)",
  404: "Not found (not_found, reference_set_not_found)",
  408: "The request body stalled or was too slow (request_timeout): BODY_IDLE_TIMEOUT_SECONDS, BODY_DEADLINE_SECONDS",
  409: "Conflict",
  413: "Body or image too large (payload_too_large, image_too_large)",
  415: "Not JSON or multipart (unsupported_media_type), or not a JPEG/PNG (unsupported_format)",
  500: "Internal error (internal, storage_error)",
  503: "Model or storage unavailable (model_unavailable, storage_error), or the model queue is full (overloaded, with a Retry-After header in seconds)",
};

/** OpenAPI 3.1 schemas are JSON Schema 2020-12, which is zod 4's default target. */
export function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

function parameters(spec: RouteSpec): Json[] {
  const list = (where: "path" | "query", object: z.ZodObject | undefined) =>
    Object.entries(object?.shape ?? {}).map(([name, field]) => {
      const schema = jsonSchema(field as z.ZodType, "input");
      const required = where === "path" || !(field as z.ZodType).safeParse(undefined).success;
      return { name, in: where, required, schema, ...(schema.description ? { description: schema.description } : {}) };
    });
  return [...list("path", spec.params), ...list("query", spec.query)];
}

function errorStatuses(spec: RouteSpec): ApiErrorStatus[] {
  const statuses = new Set<ApiErrorStatus>(spec.errors ?? []);
  if (spec.auth) statuses.add(401);
  if (spec.body)
    [400, 408, 413, 415].forEach((s) => {
      statuses.add(s as ApiErrorStatus);
    });
  if (spec.admission) statuses.add(503);
  if (spec.params) statuses.add(404);
  statuses.add(500);
  return [...statuses].sort();
}

function operation(spec: RouteSpec): Json {
  const responses: Json = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = { description: r.description, ...(r.schema ? { content: { "application/json": { schema: jsonSchema(r.schema, "output") } } } : {}) };
  }
  for (const status of errorStatuses(spec)) {
    responses[status] = { description: ERROR_DESCRIPTIONS[status], content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  const content: Json = {};
  if (spec.body?.json) content["application/json"] = { schema: jsonSchema(spec.body.json, "input") };
  if (spec.body?.multipart) content["multipart/form-data"] = { schema: jsonSchema(spec.body.multipart, "input") };
  const params = parameters(spec);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags,
    security: spec.auth ? [{ bearerAuth: [] }] : [],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(spec.body ? { requestBody: { required: true, ...(spec.body.description ? { description: spec.body.description } : {}), content } } : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly Route[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const { spec } of routes) {
    paths[spec.path] ??= {};
    paths[spec.path][spec.method] = operation(spec);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "edge-anomaly",
      version,
      description: 'Zero- and few-shot visual anomaly detection (APRIL-GAN on CLIP). Errors are always {"error": {"code", "message"}}.',
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorSchema, "output") },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "An API key bound to a tenant." } },
    },
  };
}
