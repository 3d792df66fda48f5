// The front's StageRunner over the STAGE_<i> service bindings: one RPC per stage, star topology (the front chains them).
import type { ImageStageLayout } from "../engine/staging/image-stage-layout";
import { StageError, type StageRunner, type StageShotsItem } from "../engine/staging/stage-port";
import { byteStreamToRecords, recordsToByteStream } from "./byte-record-stream";
import { fromWireReply, type ImageStageRpc, recordsToShotsItems, shotsOutputRecordBytes, toWireCall, toWireShotsCall } from "./stage-wire";

/** The binding name of stage i in the front's config (wrangler [[services]], entrypoint "ImageStage"). */
export const stageBindingName = (index: number): string => `STAGE_${index}`;

/**
 * A runner over `stageCount` bindings looked up in `bindings`; throws StageError (stage_unavailable) naming the first
 * missing one, so a front lacking a stage refuses to serve the bundle rather than failing halfway through a request.
 * `shotsLayout(i)`: what one shot of a shots call looks like at stage i (the stream's record sizes).
 */
export function serviceBindingStageRunner(
  bindings: Readonly<Record<string, unknown>>,
  stageCount: number,
  modelHash: string,
  modelName: string,
  shotsLayout: (index: number) => ImageStageLayout,
): StageRunner {
  const stubs: ImageStageRpc[] = [];
  for (let i = 0; i < stageCount; i++) {
    const stub = bindings[stageBindingName(i)] as ImageStageRpc | undefined;
    if (!stub || typeof stub.run !== "function") {
      throw new StageError(
        `the model ${modelName} runs its image tower in ${stageCount} stage Workers, but this Worker has no service binding ${stageBindingName(i)} ` +
          `(wrangler [[services]] binding = "${stageBindingName(i)}", entrypoint = "ImageStage", service = the stage ${i} Worker)`,
      );
    }
    stubs.push(stub);
  }
  const failed = (index: number, e: unknown) =>
    new StageError(`image stage ${index} (${stageBindingName(index)}) failed: ${(e as Error).message}`, { cause: e });
  return {
    stageCount,
    async run(index, call) {
      let reply: Awaited<ReturnType<ImageStageRpc["run"]>>;
      try {
        reply = await stubs[index]!.run(toWireCall(index, modelHash, call));
      } catch (e) {
        throw failed(index, e);
      }
      return fromWireReply(reply);
    },
    async *runShots(index, call): AsyncGenerator<StageShotsItem> {
      const layout = shotsLayout(index);
      // The inputs' bytes stream to the stage as it reads them (flow control: a record or so ahead), its answer back.
      async function* inputRecords(): AsyncGenerator<Float32Array> {
        let j = 0;
        for await (const input of call.inputs) {
          if (input.length !== layout.inputValues)
            throw new RangeError(`image stage ${index} takes inputs of ${layout.inputValues} values, shot ${j} has ${input.length}`);
          j++;
          yield input;
        }
      }
      let stream: ReadableStream<Uint8Array>;
      try {
        stream = await stubs[index]!.runShots(toWireShotsCall(index, modelHash, call.shots, call.textFeatures), recordsToByteStream(inputRecords()));
      } catch (e) {
        throw failed(index, e);
      }
      const records = byteStreamToRecords(stream, shotsOutputRecordBytes(layout, call.shots), `image stage ${index}'s shots stream`);
      try {
        yield* recordsToShotsItems(records, layout, call.shots);
      } catch (e) {
        throw e instanceof StageError ? e : failed(index, e);
      }
    },
  };
}
