// Worker entry: hands ORT the precompiled wasm, then serves the Hono app and consumes the job queues over this isolate's bindings.
import type { ExportedHandler } from "@cloudflare/workers-types";
import { createWorkerApp } from "./composition/fetch";
import { jobsQueueHandler } from "./composition/queue";
import type { Env } from "./platform/env";
import { installOrtWasm, ortWasmHeapBytes } from "./platform/ort-wasm";
import type { JobMessage } from "./usecases/jobs/job";

// Each handler has its own composition root in src/composition/ (fetch.ts, queue.ts; a scheduled handler gets its own).
installOrtWasm();
const app = createWorkerApp();

type Fetch = NonNullable<ExportedHandler<Env>["fetch"]>;

const fetch: Fetch = async (request, env, ctx) => {
  const response = await app.fetch(request, env, ctx);
  // ORT's wasm linear memory, the bulk of the isolate's memory: watched against the 128 MB isolate limit.
  response.headers.set("x-ort-wasm-heap-bytes", String(ortWasmHeapBytes()));
  return response;
};

export default { fetch, queue: jobsQueueHandler } satisfies ExportedHandler<Env, JobMessage>;
