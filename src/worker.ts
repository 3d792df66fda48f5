// Worker entry: hands ORT the precompiled wasm, then serves the Hono app and consumes the job queues over this isolate's bindings.
import type { ExportedHandler } from "@cloudflare/workers-types";
import type { Env } from "./platform/env";
import { installOrtWasm, ortWasmHeapBytes } from "./platform/ort-wasm";
import { createApp } from "./service/app";
import { jobsQueueHandler } from "./service/jobs-queue";
import type { JobMessage } from "./usecases/jobs/job";
import { scoreImage } from "./usecases/score-image";

installOrtWasm();
const app = createApp();

type Fetch = NonNullable<ExportedHandler<Env>["fetch"]>;

const fetch: Fetch = async (request, env, ctx) => {
  const response = await app.fetch(request, env, ctx);
  // ORT's wasm linear memory, the bulk of the isolate's memory: watched against the 128 MB isolate limit.
  response.headers.set("x-ort-wasm-heap-bytes", String(ortWasmHeapBytes()));
  return response;
};

/** The job queue and its dead-letter queue (wrangler.toml [[queues.consumers]]). */
const queue = jobsQueueHandler(scoreImage);

export default { fetch, queue } satisfies ExportedHandler<Env, JobMessage>;
