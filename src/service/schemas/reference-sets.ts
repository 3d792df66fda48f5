// Request and response schemas of the /v1/reference-sets routes.
import { z } from "zod";
import { MAX_SHOTS, MIN_SHOTS } from "../../usecases/limits";
import { calibrationSchema, objectName, uploadedFile, warningField } from "./common";

export const createReferenceSetJson = z.object({
  object: objectName,
  images: z.array(z.string()).min(MIN_SHOTS).max(MAX_SHOTS).describe("Normal (defect-free) JPEG or PNG images, base64."),
});

export const createReferenceSetMultipart = z.object({
  object: objectName,
  images: z.array(uploadedFile).min(MIN_SHOTS).max(MAX_SHOTS).describe("Normal (defect-free) JPEG or PNG images, one part each."),
});

export const referenceSetParams = z.object({ id: z.string().describe("Reference set id (rs_...).") });

export const listReferenceSetsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1024).optional().describe("The `cursor` of the previous page."),
});

export const referenceSetSchema = z.object({
  id: z.string(),
  object: z.string(),
  shots: z.number().int(),
  createdAt: z.string(),
  modelHash: z.string().nullable().describe("The model the stored features and calibration belong to."),
  current: z.boolean().describe("False when they belong to another model: the next use re-embeds the set."),
  calibration: calibrationSchema.nullable(),
  warning: warningField,
});

export const referenceSetPage = z.object({
  items: z.array(z.object({ id: z.string(), object: z.string(), shots: z.number().int(), createdAt: z.string() })),
  cursor: z.string().nullable(),
});
