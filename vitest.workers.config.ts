// Tests inside workerd (the real worker over local R2/KV); the model bundle comes from MODEL_BUNDLE_DIR via a Node-side binding.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** The bundle seeded into R2 before the tests: MODEL_BUNDLE_DIR, else the generated demo bundle (npm run model:demo). */
const bundleDir = resolve(process.env.MODEL_BUNDLE_DIR ?? "models/demo");
/**
 * Parity case: an oracle golden folder whose cases[n] image and zero-shot score a test compares with, used when the
 * bundle is not random: MODEL_BUNDLE_DIR must then be that oracle's model (npm run model:build). GOLDEN_DIR=none: off.
 */
const goldenDir = resolve(process.env.GOLDEN_DIR ?? "/work/shared/oracle/tiny-gelu-224/golden");

if (!existsSync(join(bundleDir, "manifest.json"))) {
  throw new Error(`no model bundle at ${bundleDir}: run \`npm run model:demo\` or set MODEL_BUNDLE_DIR to a bundle folder`);
}

/** Node-side files for the tests, served to workerd through the TEST_FILES service binding. */
function serveTestFile(request: Request): Response {
  const path = decodeURIComponent(new URL(request.url).pathname);
  const bundleFile = /^\/bundle\/([a-z0-9._-]+)$/i.exec(path);
  if (bundleFile) return fileResponse(join(bundleDir, bundleFile[1]!));
  const manifestPath = join(goldenDir, "manifest.json");
  if (!existsSync(manifestPath)) return new Response("no golden folder", { status: 404 });
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    params: { image_root?: string };
    cases: { class: string; image: string; zero_shot_score: number }[];
  };
  const goldenCase = /^\/golden\/case\/(\d+)$/.exec(path);
  const c = goldenCase ? manifest.cases[Number(goldenCase[1])] : undefined;
  if (!c) return new Response("no such case", { status: 404 });
  const image = readFileSync(resolve(goldenDir, manifest.params.image_root ?? "../../..", c.image));
  return Response.json({ object: c.class, image: image.toString("base64"), zeroShotScore: c.zero_shot_score });
}

function fileResponse(path: string): Response {
  return existsSync(path) ? new Response(readFileSync(path)) : new Response(`no file ${path}`, { status: 404 });
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { serviceBindings: { TEST_FILES: serveTestFile } },
    }),
  ],
  resolve: {
    // Same as [alias] in wrangler.toml: the plain-CPU ORT build, whose wasm src/platform/ort-wasm.ts imports.
    alias: [{ find: /^onnxruntime-web$/, replacement: resolve("node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs") }],
  },
  test: {
    include: ["test/workers/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
