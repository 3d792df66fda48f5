// Tests inside workerd (the real worker over local R2/KV); model bundles come from the Node side via a service binding.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { bundleDir, goldenDir, oracleInt8BundleDir, oracleMode, secondBundleDir, stageMode } from "./test/workers/bundles";
import { ENGINE_STAGES, engineDemoDir, STAGED_DEMOS, stagedDemoDir, stageWorkers } from "./test/workers/stage-workers";
import { receiveWebhook, receiverControl } from "./test/workers/webhook-receiver";

/** Bootstrap API keys of the tests (test/workers/seed.ts): tenant-a by plain key, tenant-b by its sha256. */
const TEST_API_KEYS = [
  "tenant-a:test-key-tenant-a-000000000001",
  // sha256("test-key-tenant-b-000000000002")
  "tenant-b:sha256:ec7a914816bd3668e9c8cef52eff78c14433052bd85cbf707b755f84a7849252",
].join(",");

/** Node-side files for the tests, served to workerd through the TEST_FILES service binding. */
function serveTestFile(request: Request): Response {
  const path = decodeURIComponent(new URL(request.url).pathname);
  const bundleFile = /^\/(bundle|bundle-b|oracle-int8|staged\d+|engine\d+)\/([a-z0-9._-]+)$/i.exec(path);
  if (bundleFile) return fileResponse(join(bundleSourceDir(bundleFile[1]!), bundleFile[2]!));
  const manifestPath = join(goldenDir, "manifest.json");
  if (!existsSync(manifestPath)) return new Response("no golden folder", { status: 404 });
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    params: { image_root?: string };
    cases: { class: string; image: string; zero_shot_score: number }[];
  };
  const goldenMap = /^\/golden\/zero-shot-map\/(\d+)$/.exec(path);
  if (goldenMap) return fileResponse(join(goldenDir, `case${goldenMap[1]}__zero_shot_map.f32`));
  const goldenCase = /^\/golden\/case\/(\d+)$/.exec(path);
  const c = goldenCase ? manifest.cases[Number(goldenCase[1])] : undefined;
  if (!c) return new Response("no such case", { status: 404 });
  const image = readFileSync(resolve(goldenDir, manifest.params.image_root ?? "../../..", c.image));
  return Response.json({ object: c.class, image: image.toString("base64"), zeroShotScore: c.zero_shot_score });
}

function bundleSourceDir(source: string): string {
  if (source === "bundle") return bundleDir;
  if (source === "bundle-b") return secondBundleDir;
  if (source === "oracle-int8") return oracleInt8BundleDir;
  if (source.startsWith("engine")) {
    const k = Number(source.slice("engine".length));
    if (k !== 1 && k !== ENGINE_STAGES) throw new Error(`no int8 demo ${source}`);
    return engineDemoDir(k);
  }
  const k = Number(source.slice("staged".length));
  if (k !== 1 && !(STAGED_DEMOS as readonly number[]).includes(k)) throw new Error(`no staged demo ${source}`);
  return stagedDemoDir(k);
}

const COMPATIBILITY_DATE = "2026-08-01";
/**
 * STAGE_WORKERS=1 (the last step of `npm test`): only test/workers/staged.test.ts, with the stage Workers of the staged
 * demo bundles started beside the test worker and bound to it. A run of its own: the pool starts every auxiliary
 * worker again for each test file, which the other files do not need.
 */
const stages = stageMode ? await stageWorkers(COMPATIBILITY_DATE) : { workers: [], serviceBindings: {} };
const STAGED_TESTS = "test/workers/staged.test.ts";

function fileResponse(path: string): Response {
  return existsSync(path) ? new Response(readFileSync(path)) : new Response(`no file ${path}`, { status: 404 });
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        serviceBindings: { TEST_FILES: serveTestFile, WEBHOOK_RECEIVER: receiverControl, ...stages.serviceBindings },
        workers: stages.workers,
        // Every fetch the worker makes (webhook deliveries) goes to the Node-side receiver: no network in the tests.
        outboundService: receiveWebhook,
        // Job retries without waiting, for the queue runs that Miniflare itself delivers (test/workers/jobs-e2e.test.ts).
        bindings: { WEBHOOK_BACKOFF_BASE_SECONDS: "0", API_KEYS: TEST_API_KEYS },
      },
    }),
  ],
  resolve: {
    // Same as [alias] in wrangler.toml: the plain-CPU ORT build, whose wasm src/platform/ort-wasm.ts imports.
    alias: [{ find: /^onnxruntime-web$/, replacement: resolve("node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs") }],
  },
  test: {
    include: oracleMode ? ["test/workers-parity/**/*.test.ts"] : stageMode ? [STAGED_TESTS] : ["test/workers/**/*.test.ts"],
    exclude: stageMode ? [] : [STAGED_TESTS],
    // Builds models/demo (and the second bundle) when missing, so a fresh clone passes `npm test`.
    globalSetup: ["./test/workers/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
