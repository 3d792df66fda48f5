// GET /v1/health: no key needed; describes the served model and the request limits.
import { z } from "zod";
import { warningField } from "../schemas/common";
import { defineRoute } from "../openapi/route";

const healthResponse = z.object({
  status: z.literal("ok"),
  model: z.object({
    name: z.string(),
    random: z.boolean(),
    modelHash: z.string(),
    imageSize: z.number().int(),
    quantization: z.string(),
    grid: z.number().int(),
    layers: z.object({ zeroShot: z.array(z.number().int()), fewShot: z.array(z.number().int()) }),
    projection: z.string(),
  }),
  promptSet: z.string().describe("Version of the prompt ensemble (part of the text-feature cache key)."),
  limits: z.object({
    maxBodyBytes: z.number().int(),
    maxImagePixels: z.number().int(),
    maxShots: z.number().int(),
    bodyIdleTimeoutSeconds: z.number(),
    bodyDeadlineSeconds: z.number(),
    admissionMaxRequests: z.number().int(),
    admissionMaxBytes: z.number().int(),
    admissionDecodeBytesPerPixel: z.number(),
  }),
  warning: warningField,
});

export const healthRoute = defineRoute(
  {
    method: "get",
    path: "/v1/health",
    operationId: "getHealth",
    summary: "Service and model status",
    tags: ["service"],
    auth: false,
    responses: { 200: { description: "The served model (loaded from R2 on first call)", schema: healthResponse } },
    errors: [503],
  },
  async (c) => {
    const body: z.infer<typeof healthResponse> = await c.var.services.serviceStatus();
    return c.json(body);
  },
);
