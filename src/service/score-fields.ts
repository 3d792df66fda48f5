// The scoring fields POST /v1/score and POST /v1/jobs share, from either body kind (JSON: base64 image and a boolean;
// multipart: a file part and a form boolean) to the use case's ScoreInput.
import type { z } from "zod";
import type { ScoreInput } from "../usecases/score-contract";
import { base64Field } from "./base64-field";
import { fileBytes, type ParsedBody } from "./request";
import type { scoreJsonRequest, scoreMultipartRequest } from "./schemas/score";

type Shared = "object" | "image" | "referenceSet" | "map" | "regions";
type JsonFields = Pick<z.output<typeof scoreJsonRequest>, Shared>;
type MultipartFields = Pick<z.output<typeof scoreMultipartRequest>, Shared>;

/**
 * `borrow`: the request body's bytes (`c.var.body`, valid until the route has answered) for a route that is done with
 * the image by then: a multipart image is a view of them, a base64 image is decoded into them (the JSON text has
 * been parsed already). Without it the image is a copy of its own.
 */
export function scoreInputOf(body: ParsedBody<JsonFields, MultipartFields>, borrow?: Uint8Array): ScoreInput {
  const d = body.data;
  const image = body.kind === "json" ? base64Field(body.data.image, "image", borrow) : fileBytes(body.data.image, borrow !== undefined);
  const regions = body.kind === "json" ? body.data.regions : body.data.regions === "true";
  return { object: d.object, image, ...(d.referenceSet !== undefined ? { referenceSet: d.referenceSet } : {}), map: d.map, regions };
}
