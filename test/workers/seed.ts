// Test helpers: seed model bundles from the Node side into local R2, and call the worker with or without a key.
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { Env } from "../../src/platform/env";
import { bundleFiles, type BundleManifest } from "../../src/engine/runtime/bundle-manifest";
import { bundlePrefix } from "../../src/platform/r2-bundle-reader";
import worker from "../../src/worker";

export interface SeededBundle {
  name: string;
  modelHash: string;
  imageSize: number;
  quantization: string;
  random: boolean;
  architecture: { embedDim: number };
  layers: { zeroShot: number[]; fewShot: number[] };
}

/** The bootstrap keys of vitest.workers.config.ts (tenant-b's is configured by its sha256 only). */
export const KEYS = { a: "test-key-tenant-a-000000000001", b: "test-key-tenant-b-000000000002" } as const;

async function testFile(path: string): Promise<Response> {
  const response = await env.TEST_FILES.fetch(`http://test-files${path}`);
  if (!response.ok) throw new Error(`TEST_FILES ${path}: ${response.status} ${await response.text()}`);
  return response;
}

/**
 * Puts every file of a bundle under models/<name>/ in the MODELS bucket; returns its manifest. `source` "bundle" is
 * the served bundle (MODEL_BUNDLE_DIR or models/demo), "bundle-b" a second demo bundle with another model hash,
 * "oracle-int8" the oracle's model compiled int8-dynamic (oracle mode only), "staged<K>" the demo in K image-tower stages ("staged1": its single-graph twin; test/workers/stage-workers.ts).
 */
export async function seedBundle(
  source: "bundle" | "bundle-b" | "oracle-int8" | `staged${number}` | `engine${number}` = "bundle",
  name: string = env.MODEL_NAME,
): Promise<SeededBundle> {
  const manifestBytes = new Uint8Array(await (await testFile(`/${source}/manifest.json`)).arrayBuffer());
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as SeededBundle & BundleManifest;
  const prefix = bundlePrefix(name);
  for (const { path } of bundleFiles(manifest)) {
    await env.MODELS.put(prefix + path, await (await testFile(`/${source}/${path}`)).arrayBuffer());
  }
  await env.MODELS.put(`${prefix}manifest.json`, manifestBytes);
  return manifest;
}

/** Golden case n of the oracle (object, base64 image, expected zero-shot score), or undefined without one. */
export async function goldenCase(n: number): Promise<{ object: string; image: string; zeroShotScore: number } | undefined> {
  const response = await env.TEST_FILES.fetch(`http://test-files/golden/case/${n}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`golden case ${n}: ${response.status}`);
  return response.json();
}

/** A request through src/worker.ts, without a key unless `init` has one. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`http://worker${path}`, init);
}

/** A request with tenant `key`'s Authorization header. */
export function callAs(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  return call(path, { ...init, headers });
}

export function postJson(path: string, body: unknown, key: string = KEYS.a): Promise<Response> {
  return callAs(key, path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** POST /v1/score with a JSON body as tenant-a. */
export function postScore(body: unknown, key: string = KEYS.a): Promise<Response> {
  return postJson("/v1/score", body, key);
}

/** Multipart POST: strings as fields, byte arrays as files (an array value repeats the field). */
export function postForm(path: string, fields: Record<string, string | Uint8Array | Uint8Array[]>, key: string = KEYS.a): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    const values = Array.isArray(value) ? value : [value];
    values.forEach((v, i) => {
      typeof v === "string" ? form.append(name, v) : form.append(name, new Blob([v as Uint8Array<ArrayBuffer>]), `${name}-${i}.bin`);
    });
  }
  return callAs(key, path, { method: "POST", body: form });
}

export async function expectError(response: Response, status: number, code: string): Promise<void> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status} ${code}, got ${response.status}: ${text}`);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  if (body.error?.code !== code || typeof body.error.message !== "string") throw new Error(`expected error code ${code}, got ${text}`);
}

/** A request through the worker's fetch with some bindings overridden (another MODEL_NAME, smaller limits). */
export async function callWithEnv(overrides: Partial<Env>, path: string, init: RequestInit = {}, key: string | undefined = KEYS.a): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  const request = new Request(`http://worker${path}`, { ...init, headers });
  const response = await worker.fetch(request as never, { ...env, ...overrides } as never, createExecutionContext());
  return response as unknown as Response;
}
