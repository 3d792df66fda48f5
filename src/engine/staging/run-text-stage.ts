// One text-tower stage run where its weights live: the sentences in batches of TEXT_STAGE_BATCH_SIZE, each batch's
// input taken from the previous stage's batches as they come, each output handed on before the next batch runs.
import { TEXT_STAGE_BATCH_SIZE, textGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import type { FeedValue } from "../runtime/onnx-session";
import { embeddingRowsOf, gatherTokenEmbeddings } from "./text-embedding-gather";
import type { TextBatches, TextStageCall } from "./text-stage-port";

/** Values per sentence of what text stage `index` outputs: seq x width (residual stream) or embedDim (the last). */
export function textStageRowValues(bundle: ModelBundle, index: number, seq: number): number {
  const stage = bundle.textStages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no text-tower stage ${index}`);
  const { width, layers } = bundle.manifest.architecture.text;
  return stage.blocks[1] === layers ? bundle.manifest.architecture.embedDim : seq * width;
}

/** Checks the call and loads the stage (its session, and for stage 0 the token embedding rows), then streams. */
export async function runTextStage(bundle: ModelBundle, index: number, call: TextStageCall): Promise<TextBatches> {
  const stage = bundle.textStages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no text-tower stage ${index}`);
  const { seq } = call;
  const n = call.tokens.length / seq;
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(seq) && seq >= 1)) {
    throw new RangeError(`text stage ${index}: ${call.tokens.length} token ids are not [n, ${seq}]`);
  }
  if (stage.blocks[0] > 0 !== (call.residual !== undefined)) {
    throw new RangeError(`text stage ${index} ${stage.blocks[0] > 0 ? "takes" : "does not take"} the previous stage's residual stream`);
  }
  const session = await bundle.textStageSession(index);
  let rows: Map<number, Float32Array> | undefined;
  if (stage.inputs.includes(textGraphNames.tokenEmbeddings)) {
    const table = bundle.textEmbedding;
    if (!table) throw new BundleError("bundle_invalid", `text stage ${index} reads token embeddings but the bundle has no textEmbedding table`);
    rows = await gatherTokenEmbeddings((first, count) => bundle.readTextEmbeddingRows(first, count), table, Array.from(call.tokens, Number));
  }
  return batches(bundle, index, call, n, session, rows);
}

async function* batches(
  bundle: ModelBundle,
  index: number,
  call: TextStageCall,
  n: number,
  session: Awaited<ReturnType<ModelBundle["textStageSession"]>>,
  rows: Map<number, Float32Array> | undefined,
): AsyncGenerator<Float32Array> {
  const stage = bundle.textStages![index]!;
  const { width, layers } = bundle.manifest.architecture.text;
  const [from, to] = stage.blocks;
  const { seq } = call;
  const outName = to === layers ? textGraphNames.features : textGraphNames.residual(to);
  const rowValues = textStageRowValues(bundle, index, seq);
  const input = call.residual?.[Symbol.asyncIterator]();
  try {
    for (let r = 0; r < n; r += TEXT_STAGE_BATCH_SIZE) {
      const count = Math.min(TEXT_STAGE_BATCH_SIZE, n - r);
      const feeds: Record<string, FeedValue> = {};
      if (stage.inputs.includes(textGraphNames.tokens)) {
        feeds[textGraphNames.tokens] = { type: "int64", data: call.tokens.subarray(r * seq, (r + count) * seq), dims: [count, seq] };
      }
      if (rows)
        feeds[textGraphNames.tokenEmbeddings] = {
          type: "float32",
          data: embeddingRowsOf(call.tokens.subarray(r * seq, (r + count) * seq), rows, width),
          dims: [count, seq, width],
        };
      if (input) {
        const next = await input.next();
        if (next.done || next.value.length !== count * seq * width) {
          throw new RangeError(
            `text stage ${index}: batch ${r / TEXT_STAGE_BATCH_SIZE} of the residual stream should be [${count}, ${seq}, ${width}], got ${next.done ? "the end of the stream" : `${next.value.length} values`}`,
          );
        }
        feeds[textGraphNames.residual(from)] = { type: "float32", data: next.value, dims: [count, seq, width] };
      }
      const result = await session.run(feeds, [outName]);
      const t = result[outName];
      if (!t || t.data.length !== count * rowValues) throw new BundleError("bundle_invalid", `text stage ${index} gave no ${outName} [${count}, ...] output`);
      yield t.data;
    }
    if (input && !(await input.next()).done) throw new RangeError(`text stage ${index}: the residual stream has more than ${n} sentences`);
  } finally {
    await input?.return?.();
  }
}
