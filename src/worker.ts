// Worker entry: hands ORT the precompiled wasm, then serves the Hono app, consumes the job queues and runs the reconciler;
// as a stage Worker, the ImageStage (TextStage) entrypoint runs one image-tower (text-tower) stage of a staged bundle.
import type { ExportedHandler } from "@cloudflare/workers-types";
import { WorkerEntrypoint } from "cloudflare:workers";
import { createWorkerApp } from "./composition/fetch";
import { jobsQueueHandler } from "./composition/queue";
import { reconcileHandler } from "./composition/scheduled";
import { runStageCall, runStageShotsCall, type StageEnv } from "./composition/stage";
import { runTextStageCall, type TextStageEnv } from "./composition/text-stage";
import type { Env } from "./platform/env";
import { engineKernel, engineWasmBytes } from "./platform/engine-wasm";
import { installOrtWasm, ortWasmHeapBytes } from "./platform/ort-wasm";
import type { ImageStageRpc, WireStageCall, WireStageReply, WireStageShotsCall } from "./platform/stage-wire";
import type { TextStageRpc, WireTextStageCall } from "./platform/text-stage-wire";
import type { JobMessage } from "./usecases/jobs/job";

// Each handler has its own composition root in src/composition/ (fetch.ts, queue.ts, scheduled.ts, stage.ts).
installOrtWasm();
const app = createWorkerApp();

type Fetch = NonNullable<ExportedHandler<Env>["fetch"]>;

const fetch: Fetch = async (request, env, ctx) => {
  const response = await app.fetch(request, env, ctx);
  // ORT's wasm linear memory, the bulk of the isolate's memory: watched against the 128 MB isolate limit.
  response.headers.set("x-ort-wasm-heap-bytes", String(ortWasmHeapBytes()));
  // With ENGINE=wasm, the engine's kernel memory (weights packed 1.0x int8, activations): the other big wasm memory.
  response.headers.set("x-engine-wasm-bytes", String(engineWasmBytes()));
  if (engineKernel()) response.headers.set("x-engine-kernel", engineKernel());
  return response;
};

/** The stage RPC entrypoint: the front's STAGE_<i> service bindings name it (entrypoint = "ImageStage"). */
export class ImageStage extends WorkerEntrypoint<StageEnv> implements ImageStageRpc {
  async run(call: WireStageCall): Promise<WireStageReply> {
    return await runStageCall(this.env, call);
  }

  async runShots(call: WireStageShotsCall, inputs: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
    return await runStageShotsCall(this.env, call, inputs);
  }
}

/** The text stage RPC entrypoint: the front's TEXT_STAGE_<i> service bindings name it (entrypoint = "TextStage"). */
export class TextStage extends WorkerEntrypoint<TextStageEnv> implements TextStageRpc {
  async run(call: WireTextStageCall, residual?: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
    return await runTextStageCall(this.env, call, residual);
  }
}

/** Cron Trigger (wrangler.toml [triggers]); locally scripts/start.ts calls /__scheduled instead. */
export default { fetch, queue: jobsQueueHandler, scheduled: reconcileHandler } satisfies ExportedHandler<Env, JobMessage>;
