// Schemas shared by several routes: object names, the error body, the served model, few-shot calibration.
import { z } from "zod";
import { API_ERROR_CODES } from "../errors";
import { UploadedFile } from "../multipart";

/** Object names go verbatim into the prompt sentences: letters, digits, space, '_', '-', '.'. */
export const objectName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, "letters, digits, spaces, '_', '-' and '.', starting with a letter or digit")
  .describe("What the image shows, used verbatim in the prompts (e.g. bottle, metal_nut).");

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES).describe("Stable machine-readable code."),
      message: z.string(),
      details: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    }),
  })
  .describe("Every 4xx and 5xx answer.");

export const modelSummarySchema = z.object({
  name: z.string(),
  random: z.boolean().describe("True for random-weight models: their scores mean nothing."),
  modelHash: z.string().describe("sha256 identity of the served bundle."),
});

export const calibrationSchema = z
  .object({
    method: z.enum(["loo-gaussian", "single-shot-prior"]),
    k: z.number().int(),
    center: z.number(),
    spread: z.number(),
    threshold: z.number().describe("Few-shot decision threshold: anomalous when score >= threshold."),
    zStar: z.number(),
    slope: z.number(),
    zeroShotReference: z.number(),
    sampleSpread: z.number().nullable(),
  })
  .describe("Leave-one-out calibration of the set (docs/scoring.md).");

export const warningField = z.string().optional().describe("Present when the answer should not be trusted as is (e.g. a random model).");

/** Boolean multipart fields arrive as text. */
export const formBoolean = z.enum(["true", "false"]);

/** A multipart file part (src/service/multipart.ts); documented as z.file() is (a binary string). */
export const uploadedFile = z
  .custom<UploadedFile>((v) => v instanceof UploadedFile, { message: "Invalid input: expected a file part" })
  .meta({ type: "string", format: "binary", contentEncoding: "binary" });
