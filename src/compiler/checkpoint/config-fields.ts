// Typed, error-reporting accessors for fields of a parsed config JSON (open_clip or Hugging Face).
import { CheckpointError } from "./checkpoint-error";

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(where: string, field: string, what: string): CheckpointError {
  const key = where ? `${where}.${field}` : field;
  return new CheckpointError("bad_config", `config field "${key}" ${what}`, key);
}

export function objectField(o: Json, field: string, where: string): Json {
  const v = o[field];
  if (!isObject(v)) throw bad(where, field, v === undefined ? "is missing" : "is not an object");
  return v;
}

/** A positive integer field; `def` is used when the field is absent or null. */
export function intField(o: Json, field: string, where: string, def?: number): number {
  const v = o[field] ?? def;
  if (v === undefined) throw bad(where, field, "is missing");
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw bad(where, field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export function numberField(o: Json, field: string, where: string, def?: number): number {
  const v = o[field] ?? def;
  if (v === undefined) throw bad(where, field, "is missing");
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw bad(where, field, `must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

export function boolField(o: Json, field: string, where: string, def: boolean): boolean {
  const v = o[field] ?? def;
  if (typeof v !== "boolean") throw bad(where, field, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

export function stringField(o: Json, field: string, where: string, def: string): string {
  const v = o[field] ?? def;
  if (typeof v !== "string") throw bad(where, field, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function tripleField(o: Json, field: string, where: string, def: [number, number, number]): [number, number, number] {
  const v = o[field] ?? def;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw bad(where, field, `must be an array of 3 numbers, got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1], v[2]];
}
