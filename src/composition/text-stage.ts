// The text stage entry point's composition root: one text-tower stage of the served bundle, read from MODELS.
import type { R2Bucket } from "@cloudflare/workers-types";
import { z } from "zod";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { runTextStage } from "../engine/staging/run-text-stage";
import type { TextBatches } from "../engine/staging/text-stage-port";
import { byteStreamToRecords, float32Records, recordsToByteStream } from "../platform/byte-record-stream";
import { r2BundleReader } from "../platform/r2-bundle-reader";
import { textBatchBytes, type WireTextStageCall } from "../platform/text-stage-wire";

/** A text stage Worker's bindings (README "Stages"): the bundle only. */
export interface TextStageEnv {
  MODELS: R2Bucket;
  MODEL_NAME: string;
  TEXT_STAGE_INDEX: string;
}

const vars = z.object({
  MODEL_NAME: z.string().min(1, "MODEL_NAME names the served bundle (the front's)"),
  TEXT_STAGE_INDEX: z.string().regex(/^\d+$/, 'TEXT_STAGE_INDEX = "<i>" names the text-tower stage this Worker runs'),
});

interface TextStageServer {
  index: number;
  modelName: string;
  models: R2Bucket;
  bundle?: Promise<ModelBundle>;
}

const servers = new WeakMap<object, TextStageServer>();

function serverOf(env: TextStageEnv): TextStageServer {
  let server = servers.get(env);
  if (!server) {
    const parsed = vars.safeParse(env);
    if (!parsed.success) throw new Error(`text stage worker configuration: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    server = { index: Number(parsed.data.TEXT_STAGE_INDEX), modelName: parsed.data.MODEL_NAME, models: env.MODELS };
    servers.set(env, server);
  }
  return server;
}

/** The manifest only: the stage's own files are read on its first run. A failed open is retried by the next call. */
function bundleOf(server: TextStageServer): Promise<ModelBundle> {
  if (!server.bundle) {
    const bundle = ModelBundle.open(r2BundleReader(server.models, server.modelName));
    bundle.catch(() => {
      if (server.bundle === bundle) server.bundle = undefined;
    });
    server.bundle = bundle;
  }
  return server.bundle;
}

/**
 * One text stage call: checks it is meant for this stage and model, then answers with its output stream at once; the
 * stage loads (session, stage 0's token embedding rows) as that stream starts filling its one-batch queue, so every
 * stage of the pipeline loads at the same time. A failure after that errors the stream.
 */
export async function runTextStageCall(env: TextStageEnv, call: WireTextStageCall, residual?: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const server = serverOf(env);
  if (call.index !== server.index) {
    throw new Error(`this Worker runs text stage ${server.index}, the call is for text stage ${call.index} (miswired binding)`);
  }
  const bundle = await bundleOf(server);
  if (call.modelHash !== bundle.manifest.modelHash) {
    throw new Error(`this text stage serves model ${bundle.manifest.modelHash}, the front ${call.modelHash}: deploy the same bundle everywhere`);
  }
  if (!(call.tokens instanceof ArrayBuffer && call.tokens.byteLength % 8 === 0 && Number.isInteger(call.seq) && call.seq >= 1)) {
    throw new Error(`text stage ${server.index}: the call's token ids are not int64 [n, seq]`);
  }
  const tokens = new BigInt64Array(call.tokens);
  const n = tokens.length / call.seq;
  const width = bundle.manifest.architecture.text.width;
  const input: TextBatches | undefined = residual
    ? float32Records(byteStreamToRecords(residual, textBatchBytes(n, call.seq * width), `text stage ${server.index}'s residual stream in`))
    : undefined;
  async function* output(): AsyncGenerator<Float32Array> {
    yield* await runTextStage(bundle, server.index, { tokens, seq: call.seq, ...(input ? { residual: input } : {}) });
  }
  // Each batch is ORT's fresh output: released once the RPC has taken it.
  return recordsToByteStream(output(), { releaseSent: true });
}
