// Test helpers: seed the model bundle from the Node side into local R2, and call the worker.
import { env, exports } from "cloudflare:workers";
import { bundlePrefix } from "../../src/platform/r2-bundle-reader";

export interface SeededBundle {
  name: string;
  modelHash: string;
  imageSize: number;
  quantization: string;
  random: boolean;
  architecture: { embedDim: number };
}

async function testFile(path: string): Promise<Response> {
  const response = await env.TEST_FILES.fetch(`http://test-files${path}`);
  if (!response.ok) throw new Error(`TEST_FILES ${path}: ${response.status} ${await response.text()}`);
  return response;
}

/** Puts every file of the bundle under models/<MODEL_NAME>/ in the MODELS bucket; returns its manifest. */
export async function seedBundle(): Promise<SeededBundle> {
  const manifestBytes = new Uint8Array(await (await testFile("/bundle/manifest.json")).arrayBuffer());
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as SeededBundle & { files: Record<string, { path: string }> };
  const prefix = bundlePrefix(env.MODEL_NAME);
  await env.MODELS.put(`${prefix}manifest.json`, manifestBytes);
  for (const { path } of Object.values(manifest.files)) {
    await env.MODELS.put(prefix + path, await (await testFile(`/bundle/${path}`)).arrayBuffer());
  }
  return manifest;
}

/** Golden case n of the oracle (object, base64 image, expected zero-shot score), or undefined without one. */
export async function goldenCase(n: number): Promise<{ object: string; image: string; zeroShotScore: number } | undefined> {
  const response = await env.TEST_FILES.fetch(`http://test-files/golden/case/${n}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`golden case ${n}: ${response.status}`);
  return response.json();
}

export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`http://worker${path}`, init);
}

export function postScore(body: unknown): Promise<Response> {
  return call("/v1/score", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
