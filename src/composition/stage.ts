// The stage entry point's composition root: one image-tower stage of the served bundle, its banks from REFERENCE_SETS.
import type { R2Bucket } from "@cloudflare/workers-types";
import { z } from "zod";
import { ModelBundle } from "../engine/runtime/model-bundle";
import { type BankSource, runImageStage } from "../engine/staging/run-stage";
import { r2BundleReader } from "../platform/r2-bundle-reader";
import { r2ReferenceSetStore } from "../platform/r2-reference-sets";
import { checkStageShotsCall, runImageStageShots } from "../engine/staging/run-stage-shots";
import { ortStageGraph, type StageGraph } from "../engine/staging/stage-graph";
import { createWasmStageGraph } from "../engine/wasm/wasm-stage-graph";
import { byteStreamToRecords, float32Records, recordsToByteStream } from "../platform/byte-record-stream";
import { engineKernelModules, trackEngine } from "../platform/engine-wasm";
import { ENGINE_SETTINGS, type EngineSetting, imageEngineFor } from "./image-engine";
import {
  fromWireCall,
  shotsInputRecordBytes,
  shotsItemsToRecords,
  toWireReply,
  type WireStageCall,
  type WireStageReply,
  type WireStageShotsCall,
} from "../platform/stage-wire";
import { releaseBuffer } from "../shared/release-buffer";
import { stageBankSource } from "../usecases/stage-banks";

/** A stage Worker's bindings (README "Stages"): no queues, no cron, REFERENCE_SETS read only. */
export interface StageEnv {
  MODELS: R2Bucket;
  REFERENCE_SETS: R2Bucket;
  MODEL_NAME: string;
  STAGE_INDEX: string;
  /** What runs the stage's blocks: "auto" (default: the engine's wasm kernels for int8-dynamic bundles, else onnxruntime-web), "ort" or "wasm". */
  ENGINE?: string;
}

const vars = z.object({
  MODEL_NAME: z.string().min(1, "MODEL_NAME names the served bundle (the front's)"),
  STAGE_INDEX: z.string().regex(/^\d+$/, 'STAGE_INDEX = "<i>" names the image-tower stage this Worker runs'),
  ENGINE: z.enum(ENGINE_SETTINGS, { message: 'ENGINE is "auto", "ort" or "wasm"' }).optional(),
});

interface StageServer {
  index: number;
  modelName: string;
  env: StageEnv;
  engine: EngineSetting;
  bundle?: Promise<ModelBundle>;
  graph?: Promise<StageGraph>;
  banks: BankSource;
}

const servers = new WeakMap<object, StageServer>();

/** Built once per bindings object (vars checked); the bundle is opened by the first call meant for this stage. */
function serverOf(env: StageEnv): StageServer {
  let server = servers.get(env);
  if (!server) {
    const parsed = vars.safeParse(env);
    if (!parsed.success) throw new Error(`stage worker configuration: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    server = {
      index: Number(parsed.data.STAGE_INDEX),
      modelName: parsed.data.MODEL_NAME,
      engine: parsed.data.ENGINE ?? "auto",
      env,
      banks: stageBankSource(r2ReferenceSetStore(env.REFERENCE_SETS)),
    };
    servers.set(env, server);
  }
  return server;
}

/** The bundle's manifest only: the stage's own files are read on its first run. A failed open is retried next call. */
function bundleOf(server: StageServer): Promise<ModelBundle> {
  if (!server.bundle) {
    const bundle = ModelBundle.open(r2BundleReader(server.env.MODELS, server.modelName));
    bundle.catch(() => {
      if (server.bundle === bundle) server.bundle = undefined;
    });
    server.bundle = bundle;
  }
  return server.bundle;
}

/** What runs this stage's blocks, built by the first call (the engine packs the stage's weights then); a failure is retried. */
function graphOf(server: StageServer, bundle: ModelBundle): Promise<StageGraph> {
  if (!server.graph) {
    const graph =
      imageEngineFor(server.engine, bundle.manifest.quantization) === "wasm"
        ? createWasmStageGraph(bundle, server.index, engineKernelModules()).then((g) => {
            trackEngine(g.encoder);
            return g;
          })
        : Promise.resolve(ortStageGraph(bundle, server.index));
    graph.catch(() => {
      if (server.graph === graph) server.graph = undefined;
    });
    server.graph = graph;
  }
  return server.graph;
}

/** The stage's server and bundle once the call is known to be meant for this stage and this model. */
async function checked(env: StageEnv, call: { index: number; modelHash: string }): Promise<{ server: StageServer; bundle: ModelBundle; graph: StageGraph }> {
  const server = serverOf(env);
  if (call.index !== server.index) throw new Error(`this Worker runs image stage ${server.index}, the call is for stage ${call.index} (miswired binding)`);
  const bundle = await bundleOf(server);
  if (call.modelHash !== bundle.manifest.modelHash) {
    throw new Error(`this stage serves model ${bundle.manifest.modelHash}, the front ${call.modelHash}: deploy the same bundle to the front and every stage`);
  }
  return { server, bundle, graph: await graphOf(server, bundle) };
}

/** One stage call: checks it is meant for this stage and this model, runs the stage, replies in wire form. */
export async function runStageCall(env: StageEnv, call: WireStageCall): Promise<WireStageReply> {
  const { server, bundle, graph } = await checked(env, call);
  try {
    return toWireReply(await runImageStage(bundle, server.index, fromWireCall(call), server.banks, graph));
  } finally {
    // The call's own copy of its input (RPC arguments arrive as fresh buffers): released now, not left to the collector.
    releaseBuffer(call.input);
  }
}

/** Each record once the next one is asked for: the stage has then run the shot it held (records are fresh buffers). */
async function* releasedAfterUse(records: AsyncIterable<Float32Array>): AsyncGenerator<Float32Array> {
  for await (const r of records) {
    try {
      yield r;
    } finally {
      releaseBuffer(r);
    }
  }
}

/**
 * Every shot of a reference set through this stage (set creation, re-embedding), streamed: checks the call, then
 * answers with its output stream at once; shot j's input is read from `inputs` once shot j - 1 has run and its outputs
 * are queued. Nothing is read from REFERENCE_SETS. A failure after that errors the stream.
 */
export async function runStageShotsCall(env: StageEnv, call: WireStageShotsCall, inputs: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const { server, bundle, graph } = await checked(env, call);
  if (!(call.textFeatures instanceof ArrayBuffer && call.textFeatures.byteLength % 4 === 0)) {
    throw new Error(`image stage ${server.index}: the call's text features are not float32`);
  }
  const textFeatures = new Float32Array(call.textFeatures);
  const layout = checkStageShotsCall(bundle, server.index, call.shots, textFeatures);
  const shotInputs = releasedAfterUse(
    float32Records(byteStreamToRecords(inputs, shotsInputRecordBytes(layout, call.shots), `image stage ${server.index}'s shot inputs`)),
  );
  const items = runImageStageShots(bundle, server.index, { inputs: shotInputs, shots: call.shots, textFeatures }, graph);
  // Every record is the stage's own (ORT outputs, half bits, small maps): released once the RPC has taken it.
  return recordsToByteStream(loggingFailure(shotsItemsToRecords(items, layout, call.shots), `image stage ${server.index}: shots call`), {
    releaseSent: true,
  });
}

/** A stream's error reaches the other side of an RPC only as "disconnected prematurely": its cause is logged here. */
async function* loggingFailure<T>(records: AsyncIterable<T>, what: string): AsyncGenerator<T> {
  try {
    yield* records;
  } catch (e) {
    console.error(`${what} failed: ${(e as Error).message}`);
    throw e;
  }
}
