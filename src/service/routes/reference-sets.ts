// /v1/reference-sets: create (JSON or multipart), list, get, delete and re-embed the tenant's reference sets.
import { base64Field } from "../base64-field";
import { defineRoute } from "../openapi/route";
import { fileBytes, readBody, validate } from "../request";
import {
  createReferenceSetJson,
  createReferenceSetMultipart,
  listReferenceSetsQuery,
  referenceSetPage,
  referenceSetParams,
  referenceSetSchema,
} from "../schemas/reference-sets";

const tags = ["reference sets"];

const create = defineRoute(
  {
    method: "post",
    path: "/v1/reference-sets",
    operationId: "createReferenceSet",
    admission: true,
    summary: "Create a reference set from 1-16 normal images",
    description: "Embeds and calibrates the shots with the served model, stores them, and answers once the set is complete.",
    tags,
    auth: true,
    body: { json: createReferenceSetJson, multipart: createReferenceSetMultipart },
    responses: { 201: { description: "The new set", schema: referenceSetSchema } },
    errors: [503],
  },
  async (c) => {
    const body = await readBody(c, { json: createReferenceSetJson, multipart: createReferenceSetMultipart });
    const images = body.kind === "json" ? body.data.images.map((b64, i) => base64Field(b64, `images[${i}]`)) : body.data.images.map((file) => fileBytes(file));
    const { set, stages } = await c.var.services.createReferenceSet(c.get("tenant"), { object: body.data.object, images });
    if (stages) {
      // As on scores: the image stages' round trips and their hop part, plus how many stage calls the set took.
      c.header("server-timing", `stages;dur=${stages.stagesMs.toFixed(1)}, hop;dur=${stages.hopMs.toFixed(1)}`);
      c.header("x-stage-bytes", String(stages.bytes));
      c.header("x-stage-calls", String(stages.calls));
    }
    return c.json(set, 201);
  },
);

const list = defineRoute(
  {
    method: "get",
    path: "/v1/reference-sets",
    operationId: "listReferenceSets",
    summary: "List your reference sets",
    tags,
    auth: true,
    query: listReferenceSetsQuery,
    responses: { 200: { description: "One page of sets", schema: referenceSetPage } },
    errors: [400],
  },
  async (c) => {
    const query = validate(listReferenceSetsQuery, c.req.query(), "query");
    return c.json(await c.var.services.listReferenceSets(c.get("tenant"), query));
  },
);

const get = defineRoute(
  {
    method: "get",
    path: "/v1/reference-sets/{id}",
    operationId: "getReferenceSet",
    summary: "One reference set",
    tags,
    auth: true,
    params: referenceSetParams,
    responses: { 200: { description: "The set", schema: referenceSetSchema } },
  },
  async (c) => c.json(await c.var.services.getReferenceSet(c.get("tenant"), c.req.param("id")!)),
);

const remove = defineRoute(
  {
    method: "delete",
    path: "/v1/reference-sets/{id}",
    operationId: "deleteReferenceSet",
    summary: "Delete a reference set (shots and features)",
    tags,
    auth: true,
    params: referenceSetParams,
    responses: { 204: { description: "Deleted" } },
  },
  async (c) => {
    await c.var.services.deleteReferenceSet(c.get("tenant"), c.req.param("id")!);
    return c.body(null, 204);
  },
);

const reembed = defineRoute(
  {
    method: "post",
    path: "/v1/reference-sets/{id}/reembed",
    operationId: "reembedReferenceSet",
    admission: true,
    summary: "Recompute the set's features and calibration with the served model",
    tags,
    auth: true,
    params: referenceSetParams,
    responses: { 200: { description: "The set, current", schema: referenceSetSchema } },
    errors: [503],
  },
  async (c) => c.json(await c.var.services.reembedReferenceSet(c.get("tenant"), c.req.param("id")!)),
);

export const referenceSetRoutes = [create, list, get, remove, reembed];
