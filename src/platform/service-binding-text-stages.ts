// The front's TextStageRunner over the TEXT_STAGE_<i> service bindings: one RPC per text stage, every stage started at
// once, stage i's output stream handed to stage i + 1's call as it is (its bytes never sit in the front), the last
// stage's stream read here batch by batch.
import type { TextBatches, TextStageRunner } from "../engine/staging/text-stage-port";
import { StageError } from "../engine/staging/stage-port";
import { byteStreamToRecords, float32Records, recordsToByteStream } from "./byte-record-stream";
import { type TextStageRpc, textBatchBytes, tokenBytes } from "./text-stage-wire";

/** The binding name of text stage i in the front's config (wrangler [[services]], entrypoint "TextStage"). */
export const textStageBindingName = (index: number): string => `TEXT_STAGE_${index}`;

/** A stage's output stream: iterated only by the front's last read, passed on untouched otherwise. */
class StreamedTextBatches implements TextBatches {
  constructor(
    readonly stream: ReadableStream<Uint8Array>,
    private readonly sizes: () => Iterable<number>,
    private readonly what: string,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Float32Array> {
    try {
      yield* float32Records(byteStreamToRecords(this.stream, this.sizes(), this.what));
    } catch (e) {
      throw e instanceof StageError ? e : new StageError(`${this.what} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}

export interface TextStageShape {
  /** The text tower's width (residual stream rows) and the features' size (the last stage's rows). */
  width: number;
  embedDim: number;
}

/** A runner over `stageCount` bindings; throws StageError (stage_unavailable) naming the first missing one. */
export function serviceBindingTextStageRunner(
  bindings: Readonly<Record<string, unknown>>,
  stageCount: number,
  modelHash: string,
  modelName: string,
  shape: TextStageShape,
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
      const what = `text stage ${index} (${textStageBindingName(index)})`;
      const n = call.tokens.length / call.seq;
      const rowValues = index === stageCount - 1 ? shape.embedDim : call.seq * shape.width;
      let residual: ReadableStream<Uint8Array> | undefined;
      if (call.residual instanceof StreamedTextBatches) residual = call.residual.stream;
      else if (call.residual) residual = recordsToByteStream(call.residual);
      let stream: ReadableStream<Uint8Array>;
      try {
        stream = await stubs[index]!.run({ index, modelHash, tokens: tokenBytes(call.tokens), seq: call.seq }, residual);
      } catch (e) {
        throw new StageError(`${what} failed: ${(e as Error).message}`, { cause: e });
      }
      return new StreamedTextBatches(stream, () => textBatchBytes(n, rowValues), what);
    },
  };
}
