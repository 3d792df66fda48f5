// POST /v1/score: one image, zero-shot or few-shot with a reference set; JSON (base64) or multipart.
import { withJsonBytes } from "../json-bytes";
import { defineRoute } from "../openapi/route";
import { readBody } from "../request";
import { scoreInputOf } from "../score-fields";
import { scoreJsonRequest, scoreMultipartRequest, scoreResponse } from "../schemas/score";

export const scoreRoute = defineRoute(
  {
    method: "post",
    path: "/v1/score",
    operationId: "scoreImage",
    admission: true,
    summary: "Score one image",
    description:
      "Zero-shot without `referenceSet`; few-shot (zero-shot + the set's memory bank, calibrated score and threshold) with one. " +
      "Regions are 8-connected components of the map above `regionThreshold` (README, Service).",
    tags: ["scoring"],
    auth: true,
    body: { json: scoreJsonRequest, multipart: scoreMultipartRequest },
    responses: { 200: { description: "Score, decision, map and regions", schema: scoreResponse } },
    errors: [404, 503],
  },
  async (c) => {
    const body = await readBody(c, { json: scoreJsonRequest, multipart: scoreMultipartRequest });
    const result = await c.var.services.scoreImage(c.get("tenant"), { ...scoreInputOf(body, c.var.body), mapResolution: body.data.mapResolution });
    if (result.stages) {
      // A staged bundle: the stage round trips and the part of them outside the stages' own work (README "Stages").
      c.header("server-timing", `stages;dur=${result.timings.stages ?? 0}, hop;dur=${result.timings.hop ?? 0}`);
      c.header("x-stage-bytes", String(result.stages.reduce((sum, h) => sum + h.sentBytes + h.receivedBytes, 0)));
    }
    // The map's base64 goes from its PNG bytes straight into the body's bytes (no JS string of it or of the body).
    return withJsonBytes(result, (bytes) => c.body(bytes, 200, { "content-type": "application/json" }));
  },
);
