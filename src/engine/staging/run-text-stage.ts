// One text-tower stage run where its weights live: the sentences in batches of TEXT_STAGE_BATCH_SIZE, the activations
// the compiler sized the stage for.
import { TEXT_STAGE_BATCH_SIZE, textGraphNames } from "../runtime/graph-names";
import { BundleError, type ModelBundle } from "../runtime/model-bundle";
import type { FeedValue } from "../runtime/onnx-session";
import { embeddingRowsOf, gatherTokenEmbeddings } from "./text-embedding-gather";
import type { TextStageCall, TextStageReply } from "./text-stage-port";

export async function runTextStage(bundle: ModelBundle, index: number, call: TextStageCall): Promise<TextStageReply> {
  const start = performance.now();
  const stage = bundle.textStages?.[index];
  if (!stage) throw new BundleError("bundle_invalid", `the bundle has no text-tower stage ${index}`);
  const { width, layers } = bundle.manifest.architecture.text;
  const embedDim = bundle.manifest.architecture.embedDim;
  const [from, to] = stage.blocks;
  const { seq } = call;
  const n = call.tokens.length / seq;
  if (!(Number.isInteger(n) && seq >= 1)) throw new RangeError(`text stage ${index}: ${call.tokens.length} token ids are not [n, ${seq}]`);
  if (from > 0 && call.residual?.length !== n * seq * width) {
    throw new RangeError(`text stage ${index} takes the residual stream [${n}, ${seq}, ${width}], got ${call.residual?.length ?? 0} values`);
  }
  const last = to === layers;
  const outName = last ? textGraphNames.features : textGraphNames.residual(to);
  const rowValues = last ? embedDim : seq * width;
  const out = new Float32Array(n * rowValues);
  const session = await bundle.textStageSession(index);
  let rows: Map<number, Float32Array> | undefined;
  if (stage.inputs.includes(textGraphNames.tokenEmbeddings)) {
    const table = bundle.textEmbedding;
    if (!table) throw new BundleError("bundle_invalid", `text stage ${index} reads token embeddings but the bundle has no textEmbedding table`);
    rows = await gatherTokenEmbeddings((first, count) => bundle.readTextEmbeddingRows(first, count), table, Array.from(call.tokens, Number));
  }
  for (let r = 0; r < n; r += TEXT_STAGE_BATCH_SIZE) {
    const count = Math.min(TEXT_STAGE_BATCH_SIZE, n - r);
    const feeds: Record<string, FeedValue> = {};
    if (stage.inputs.includes(textGraphNames.tokens)) {
      feeds[textGraphNames.tokens] = { type: "int64", data: call.tokens.subarray(r * seq, (r + count) * seq), dims: [count, seq] };
    }
    if (rows) {
      const data = embeddingRowsOf(call.tokens.subarray(r * seq, (r + count) * seq), rows, width);
      feeds[textGraphNames.tokenEmbeddings] = { type: "float32", data, dims: [count, seq, width] };
    }
    if (from > 0) {
      feeds[textGraphNames.residual(from)] = {
        type: "float32",
        data: call.residual!.subarray(r * seq * width, (r + count) * seq * width),
        dims: [count, seq, width],
      };
    }
    const result = await session.run(feeds, [outName]);
    const t = result[outName];
    if (!t) throw new BundleError("bundle_invalid", `text stage ${index} has no output ${outName}`);
    out.set(t.data, r * rowValues);
  }
  return { ...(last ? { features: out } : { residual: out }), workMs: performance.now() - start };
}
