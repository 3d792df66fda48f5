// GET /openapi.json in workerd: an OpenAPI 3.1 document with every route, resolvable refs and consistent parameters.
import { describe, expect, it } from "vitest";
import { apiRoutes } from "../../src/service/routes/index";
import { call } from "./seed";

// biome-ignore lint/suspicious/noExplicitAny: walks an arbitrary JSON document
type Json = Record<string, any>;

async function document(): Promise<Json> {
  const response = await call("/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return JSON.parse(await response.text()) as Json;
}

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node))
    node.forEach((n) => {
      refs(n, out);
    });
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 with info, paths and components", async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
  });

  it("has every path and method the app serves", async () => {
    const doc = await document();
    const expected = [
      "get /v1/health",
      "post /v1/score",
      "post /v1/reference-sets",
      "get /v1/reference-sets",
      "get /v1/reference-sets/{id}",
      "delete /v1/reference-sets/{id}",
      "post /v1/reference-sets/{id}/reembed",
      "get /openapi.json",
    ];
    const documented = Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    for (const e of expected) expect(documented).toContain(e);
    for (const { spec } of apiRoutes) expect(documented).toContain(`${spec.method} ${spec.path}`);
  });

  it("is consistent: unique operation ids, declared path parameters, resolvable refs, security on /v1 but health", async () => {
    const doc = await document();
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        expect(METHODS).toContain(method);
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const status of Object.keys(op.responses)) expect(status).toMatch(/^[1-5]\d\d$/);
        const declared = (op.parameters ?? []).filter((p: Json) => p.in === "path").map((p: Json) => p.name);
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(declared.sort()).toEqual(templated.sort());
        const isPublic = path === "/v1/health" || !path.startsWith("/v1/");
        expect(op.security, `${method} ${path}`).toEqual(isPublic ? [] : [{ bearerAuth: [] }]);
        if (!isPublic) expect(op.responses["401"]).toBeDefined();
      }
    }
    for (const ref of refs(doc)) expect(resolvePointer(doc, ref), ref).toBeDefined();
  });

  it("documents both request bodies of /v1/score and /v1/jobs, a binary file part, and the error body", async () => {
    const doc = await document();
    const content = doc.paths["/v1/score"].post.requestBody.content;
    expect(Object.keys(content).sort()).toEqual(["application/json", "multipart/form-data"]);
    expect(content["multipart/form-data"].schema.properties.image).toMatchObject({ type: "string", format: "binary" });
    expect(content["application/json"].schema.required).toEqual(expect.arrayContaining(["object", "image"]));
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain("unauthorized");
    const job = doc.paths["/v1/jobs"].post.requestBody.content;
    expect(Object.keys(job).sort()).toEqual(["application/json", "multipart/form-data"]);
    expect(job["multipart/form-data"].schema.properties.image).toMatchObject({ type: "string", format: "binary" });
    expect(job["multipart/form-data"].schema.required).toEqual(expect.arrayContaining(["object", "image", "webhookUrl"]));
    const created = doc.paths["/v1/reference-sets"].post.responses["201"].content["application/json"].schema;
    expect(created.properties.calibration).toBeDefined();
  });
});
