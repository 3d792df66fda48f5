// GET /openapi.json: the OpenAPI 3.1 document of every route, built once per isolate from their schemas.
import { z } from "zod";
import { openApiDocument } from "../openapi/document";
import { defineRoute, type Route } from "../openapi/route";

export const API_VERSION = "1.0.0";

/** `routes` is read on the first request, so it may include this route itself. */
export function openApiRoute(routes: () => readonly Route[]): Route {
  let document: Record<string, unknown> | undefined;
  return defineRoute(
    {
      method: "get",
      path: "/openapi.json",
      operationId: "getOpenApi",
      summary: "This document",
      tags: ["service"],
      auth: false,
      responses: { 200: { description: "OpenAPI 3.1", schema: z.object({ openapi: z.string() }).passthrough() } },
    },
    (c) => {
      document ??= openApiDocument(routes(), API_VERSION);
      return c.json(document);
    },
  );
}
