// The front's TextStageRunner over the TEXT_STAGE_<i> service bindings: one RPC per text stage, the front chains them.
import { StageError } from "../engine/staging/stage-port";
import type { TextStageRunner } from "../engine/staging/text-stage-port";
import { fromWireTextReply, type TextStageRpc, toWireTextCall } from "./text-stage-wire";

/** The binding name of text stage i in the front's config (wrangler [[services]], entrypoint "TextStage"). */
export const textStageBindingName = (index: number): string => `TEXT_STAGE_${index}`;

/** A runner over `stageCount` bindings; throws StageError (stage_unavailable) naming the first missing one. */
export function serviceBindingTextStageRunner(
  bindings: Readonly<Record<string, unknown>>,
  stageCount: number,
  modelHash: string,
  modelName: string,
): TextStageRunner {
  const stubs: TextStageRpc[] = [];
  for (let i = 0; i < stageCount; i++) {
    const stub = bindings[textStageBindingName(i)] as TextStageRpc | undefined;
    if (!stub || typeof stub.run !== "function") {
      throw new StageError(
        `the model ${modelName} runs its text tower in ${stageCount} stage Workers, but this Worker has no service binding ${textStageBindingName(i)} ` +
          `(wrangler [[services]] binding = "${textStageBindingName(i)}", entrypoint = "TextStage", service = the text stage ${i} Worker)`,
      );
    }
    stubs.push(stub);
  }
  return {
    stageCount,
    async run(index, call) {
      try {
        return fromWireTextReply(await stubs[index]!.run(toWireTextCall(index, modelHash, call)));
      } catch (e) {
        throw new StageError(`text stage ${index} (${textStageBindingName(index)}) failed: ${(e as Error).message}`, { cause: e });
      }
    },
  };
}
