// The front's StageRunner over the STAGE_<i> service bindings: one RPC per stage, star topology (the front chains them).
import { StageError, type StageRunner } from "../engine/staging/stage-port";
import { fromWireReply, fromWireShotsReply, type ImageStageRpc, toWireCall, toWireShotsCall } from "./stage-wire";

/** The binding name of stage i in the front's config (wrangler [[services]], entrypoint "ImageStage"). */
export const stageBindingName = (index: number): string => `STAGE_${index}`;

/**
 * A runner over `stageCount` bindings looked up in `bindings`; throws StageError (stage_unavailable) naming the first
 * missing one, so a front lacking a stage refuses to serve the bundle rather than failing halfway through a request.
 */
export function serviceBindingStageRunner(bindings: Readonly<Record<string, unknown>>, stageCount: number, modelHash: string, modelName: string): StageRunner {
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
    async runShots(index, call) {
      let reply: Awaited<ReturnType<ImageStageRpc["runShots"]>>;
      try {
        reply = await stubs[index]!.runShots(toWireShotsCall(index, modelHash, call));
      } catch (e) {
        throw failed(index, e);
      }
      return fromWireShotsReply(reply);
    },
  };
}
