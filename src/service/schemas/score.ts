// Request and response schemas of POST /v1/score (JSON with base64 image, or multipart with an image file).
import { z } from "zod";
import { formBoolean, modelSummarySchema, objectName, uploadedFile, warningField } from "./common";

const scoreOptions = {
  object: objectName,
  referenceSet: z.string().min(1).max(64).optional().describe("Id of one of your reference sets: few-shot mode."),
  map: z.enum(["png", "none"]).default("png").describe("Return the anomaly map as a PNG, or not."),
  mapResolution: z
    .enum(["image", "model"])
    .default("image")
    .describe("image: the map in the upload's coordinates (longer side capped at 1024); model: the model's square input."),
};

export const scoreJsonRequest = z.object({
  ...scoreOptions,
  image: z.string().describe("The JPEG or PNG, base64 (a data: URL prefix is accepted)."),
  regions: z.boolean().default(true).describe("Return the connected anomalous regions."),
});

export const scoreMultipartRequest = z.object({
  ...scoreOptions,
  image: uploadedFile.describe("The JPEG or PNG."),
  regions: formBoolean.default("true").describe("Return the connected anomalous regions."),
});

const regionSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  score: z.number().describe("Peak map value inside the region."),
  area: z.number().int().describe("Pixels of the region, in image pixels."),
});

export const scoreResponse = z.object({
  object: z.string(),
  mode: z.enum(["zero-shot", "few-shot"]),
  score: z.number().min(0).max(1),
  isAnomalous: z.boolean(),
  threshold: z.number(),
  map: z
    .object({
      format: z.literal("png"),
      width: z.number().int(),
      height: z.number().int(),
      max: z.number().describe("The map value shown as white (pixel = 255 * value / max)."),
      data: z.string().describe("Base64 grayscale PNG."),
    })
    .nullable(),
  regions: z.array(regionSchema).nullable().describe("Strongest first, at most 32; boxes in the upload's pixel coordinates."),
  regionThreshold: z.number().nullable(),
  image: z.object({ format: z.enum(["jpeg", "png"]), width: z.number().int(), height: z.number().int() }),
  referenceSet: z.object({ id: z.string(), shots: z.number().int(), calibration: z.string(), features: z.enum(["memory", "stored", "reembedded"]) }).nullable(),
  textFeatures: z.enum(["memory", "bundle", "kv", "computed"]),
  timings: z.record(z.string(), z.number()).describe("Milliseconds per stage."),
  model: modelSummarySchema,
  stages: z
    .array(
      z.object({
        stage: z.number().int(),
        sentBytes: z.number().int().describe("Float32 payload bytes sent to the stage (its input, the text features)."),
        receivedBytes: z.number().int().describe("Float32 payload bytes the stage returned (residual stream, per-layer maps)."),
        roundTripMs: z.number(),
        workMs: z.number().describe("The stage's own work as it measured it; roundTripMs - workMs is the hop."),
      }),
    )
    .optional()
    .describe("Only for a staged bundle: one entry per image-tower stage Worker, in call order."),
  warning: warningField,
});
