// Reads and validates path params, query and body (JSON or multipart) with a route's zod schemas.
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Limits } from "../usecases/limits";
import type { AdmissionQueue } from "./admission";
import { awaitWithTimer, yieldToEventLoop } from "../shared/await-with-timer";
import type { AppEnv } from "./app-env";
import { type BodyBytes, declaredLength, readBodyBytes, tooLarge } from "./body-reader";
import { BytePool } from "../shared/byte-pool";
import { ApiError } from "./errors";
import { bodyReadLimits } from "./http-limits";
import { type FormValue, MultipartError, multipartBoundary, parseMultipart, UploadedFile } from "./multipart";

export type ParsedBody<J, M> = { kind: "json"; data: J } | { kind: "multipart"; data: M };

export function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".");
  throw new ApiError(400, "invalid_request", `${field || where}: ${issue.message}`, field ? { field } : {});
}

/**
 * The isolate's request-body buffers: up to 16 MB of free buffers kept for reuse (a body is read before its turn in
 * the admission queue, so up to ADMISSION_MAX_REQUESTS are checked out at once; beyond the bound they are dropped).
 */
const bodyPool = new BytePool(16 * 2 ** 20);

/**
 * Body routes: admission to the model queue first when the route runs the model (503 overloaded beyond it, before a
 * byte is read), then the whole body read within MAX_BODY_BYTES and the body timeouts (413, 408), then the route
 * once the queue reaches it. The route parses the bytes (`c.var.body`, see readBody), valid until it has answered.
 */
export function admitAndReadBody(admission?: (limits: Limits) => AdmissionQueue): MiddlewareHandler<AppEnv> {
  return async function admitAndReadBody(c, next) {
    const limits = bodyReadLimits(c.var.services.limits);
    const raw = c.req.raw;
    const declared = declaredLength(raw.headers);
    if (declared !== undefined && declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
    const ticket = admission?.(c.var.services.limits).admit(raw.body ? (declared ?? limits.maxBytes) : 0);
    let body: BodyBytes | undefined;
    try {
      body = await readBodyBytes(raw, limits, bodyPool);
      c.set("body", body.bytes);
      if (ticket) {
        await awaitWithTimer(ticket.turn());
        // After waiting behind others: the previous request's answer leaves before this one's model work holds the
        // thread (else, under a burst, the answers left together once the queue was empty: seen with wrangler 4.164).
        if (ticket.ahead > 0) await yieldToEventLoop();
      }
      await next();
    } finally {
      ticket?.release();
      // The route has answered: its response is serialised and nothing holds a view of the body any more.
      body?.release();
    }
  };
}

export async function readBody<J, M>(c: Context<AppEnv>, schemas: { json?: z.ZodType<J>; multipart?: z.ZodType<M> }): Promise<ParsedBody<J, M>> {
  const contentType = c.req.header("content-type") ?? "";
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  const bytes = c.var.body ?? new Uint8Array(0);
  if (schemas.json && (type === "application/json" || type.endsWith("+json"))) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new ApiError(400, "invalid_json", "the request body is not JSON");
    }
    return { kind: "json", data: validate(schemas.json, json, "body") };
  }
  if (schemas.multipart && type === "multipart/form-data") {
    const boundary = multipartBoundary(contentType);
    let parts: [string, FormValue][];
    try {
      if (boundary === undefined) throw new MultipartError("no boundary parameter");
      parts = parseMultipart(bytes, boundary);
    } catch (e) {
      if (!(e instanceof MultipartError)) throw e;
      throw new ApiError(400, "invalid_multipart", "the request body is not valid multipart/form-data");
    }
    return { kind: "multipart", data: validate(schemas.multipart, formFields(parts, schemas.multipart), "body") };
  }
  const accepted = [schemas.json ? "application/json" : "", schemas.multipart ? "multipart/form-data" : ""].filter(Boolean).join(" or ");
  throw new ApiError(415, "unsupported_media_type", `send ${accepted} (got ${type || "no Content-Type"})`);
}

/**
 * Form fields as an object: array fields of the schema take every part of that name (also `name[]`); any other field
 * sent more than once is refused rather than silently reduced to one of its parts.
 */
function formFields(parts: [string, FormValue][], schema: z.ZodType): Record<string, unknown> {
  const shape = schema instanceof z.ZodObject ? schema.shape : {};
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    const values = [...parts.filter(([n]) => n === name), ...parts.filter(([n]) => n === `${name}[]`)].map(([, v]) => v);
    if (isArrayField(field as z.ZodType)) out[name] = values;
    else if (values.length > 1) {
      throw new ApiError(400, "invalid_request", `${name}: sent ${values.length} times; send exactly one`, { field: name });
    } else if (values.length === 1) out[name] = values[0];
  }
  return out;
}

function isArrayField(field: z.ZodType): boolean {
  let f: unknown = field;
  while (f instanceof z.ZodOptional || f instanceof z.ZodDefault) f = f.unwrap();
  return f instanceof z.ZodArray;
}

/**
 * The bytes of a file part. `borrow`: a view of the request body, valid until the route has answered (for work that
 * finishes within the request); otherwise a copy.
 */
export function fileBytes(file: unknown, borrow = false): Uint8Array {
  if (!(file instanceof UploadedFile)) throw new TypeError("a multipart file part was expected");
  return borrow ? file.bytes : file.bytes.slice();
}
