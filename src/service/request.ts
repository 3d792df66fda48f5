// Reads and validates path params, query and body (JSON or multipart) with a route's zod schemas.
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Limits } from "../usecases/limits";
import type { AdmissionQueue } from "./admission";
import type { AppEnv } from "./app-env";
import { declaredLength, readBodyBytes, tooLarge } from "./body-reader";
import { ApiError } from "./errors";
import { bodyReadLimits } from "./http-limits";

export type ParsedBody<J, M> = { kind: "json"; data: J } | { kind: "multipart"; data: M };

export function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".");
  throw new ApiError(400, "invalid_request", `${field || where}: ${issue.message}`, field ? { field } : {});
}

/**
 * Body routes: admission to the model queue first when the route runs the model (503 overloaded beyond it, before a
 * byte is read), then the whole body read within MAX_BODY_BYTES and the body timeouts (413, 408), then the route
 * once the queue reaches it. The route parses the buffered copy.
 */
export function admitAndReadBody(admission?: (limits: Limits) => AdmissionQueue): MiddlewareHandler<AppEnv> {
  return async function admitAndReadBody(c, next) {
    const limits = bodyReadLimits(c.var.services.limits);
    const raw = c.req.raw;
    const declared = declaredLength(raw.headers);
    if (declared !== undefined && declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
    const ticket = admission?.(c.var.services.limits).admit(raw.body ? (declared ?? limits.maxBytes) : 0);
    try {
      if (raw.body) c.req.raw = new Request(raw, { body: await readBodyBytes(raw, limits) });
      if (ticket) await awaitWithTimer(ticket.turn());
      await next();
    } finally {
      ticket?.release();
    }
  };
}

/**
 * workerd cancels a request as hung ("your Worker's code had hung") when it waits on a promise only another request
 * can resolve and has no I/O of its own pending: a timer, renewed until the promise settles, is that I/O.
 */
async function awaitWithTimer(promise: Promise<void>): Promise<void> {
  let settled = false;
  const done = promise.finally(() => {
    settled = true;
  });
  while (!settled) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    if (timer !== undefined) clearTimeout(timer);
  }
  await done;
}

export async function readBody<J, M>(c: Context<AppEnv>, schemas: { json?: z.ZodType<J>; multipart?: z.ZodType<M> }): Promise<ParsedBody<J, M>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (schemas.json && (type === "application/json" || type.endsWith("+json"))) {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(400, "invalid_json", "the request body is not JSON");
    }
    return { kind: "json", data: validate(schemas.json, json, "body") };
  }
  if (schemas.multipart && type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(400, "invalid_multipart", "the request body is not valid multipart/form-data");
    }
    return { kind: "multipart", data: validate(schemas.multipart, formFields(form, schemas.multipart), "body") };
  }
  const accepted = [schemas.json ? "application/json" : "", schemas.multipart ? "multipart/form-data" : ""].filter(Boolean).join(" or ");
  throw new ApiError(415, "unsupported_media_type", `send ${accepted} (got ${type || "no Content-Type"})`);
}

/**
 * Form fields as an object: array fields of the schema take every part of that name (also `name[]`); any other field
 * sent more than once is refused rather than silently reduced to one of its parts.
 */
function formFields(form: FormData, schema: z.ZodType): Record<string, unknown> {
  const shape = schema instanceof z.ZodObject ? schema.shape : {};
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape)) {
    const values = [...form.getAll(name), ...form.getAll(`${name}[]`)];
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

/** `file` is typed unknown: zod types z.file() from globalThis, which holds no File class under workers-types. */
export async function fileBytes(file: unknown): Promise<Uint8Array> {
  if (!(file instanceof Blob)) throw new TypeError("a multipart file part was expected");
  return new Uint8Array(await file.arrayBuffer());
}
