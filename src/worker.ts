// Worker entry: hands ORT the precompiled wasm, then serves the Hono app, consumes the job queues and runs the reconciler.
import type { ExportedHandler } from "@cloudflare/workers-types";
import { createWorkerApp } from "./composition/fetch";
import { jobsQueueHandler } from "./composition/queue";
import { reconcileHandler } from "./composition/scheduled";
import type { Env } from "./platform/env";
import { installOrtWasm, ortWasmHeapBytes } from "./platform/ort-wasm";
import type { JobMessage } from "./usecases/jobs/job";

// Each handler has its own composition root in src/composition/ (fetch.ts, queue.ts, scheduled.ts).
installOrtWasm();
const app = createWorkerApp();

type Fetch = NonNullable<ExportedHandler<Env>["fetch"]>;

const fetch: Fetch = async (request, env, ctx) => {
  const response = await app.fetch(request, env, ctx);
  // ORT's wasm linear memory, the bulk of the isolate's memory: watched against the 128 MB isolate limit.
  response.headers.set("x-ort-wasm-heap-bytes", String(ortWasmHeapBytes()));
  return response;
};

/** Cron Trigger (wrangler.toml [triggers]); locally scripts/start.ts calls /__scheduled instead. */
export default { fetch, queue: jobsQueueHandler, scheduled: reconcileHandler } satisfies ExportedHandler<Env, JobMessage>;
