// The text tower run stage by stage through a TextStageRunner: the same embeddings as encodeTexts on the whole graph.
import type { TextStageRunner } from "./text-stage-port";
import { StageError } from "./stage-port";

/**
 * Encodes token id rows [n, contextLength] into L2-normalised embeddings [n, embedDim]. Every row is trimmed to the
 * longest EOT position + 1 over all rows (the causal mask makes each EOT row independent of what follows it). Every
 * stage is started at once, each on the previous one's batches: the sentences stream through the stages.
 */
export async function encodeTextsInStages(runner: TextStageRunner, ids: Int32Array, contextLength: number, embedDim: number): Promise<Float32Array> {
  const n = ids.length / contextLength;
  let seq = 1;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < contextLength; c++) if (ids[r * contextLength + c]! > ids[r * contextLength + best]!) best = c;
    seq = Math.max(seq, best + 1);
  }
  const tokens = new BigInt64Array(n * seq);
  for (let r = 0; r < n; r++) for (let c = 0; c < seq; c++) tokens[r * seq + c] = BigInt(ids[r * contextLength + c]!);
  if (runner.stageCount < 1) throw new StageError("a text tower in stages needs at least one stage");
  let stream = await runner.run(0, { tokens, seq });
  for (let i = 1; i < runner.stageCount; i++) stream = await runner.run(i, { tokens, seq, residual: stream });
  const features = new Float32Array(n * embedDim);
  let at = 0;
  for await (const batch of stream) {
    if (at + batch.length > features.length || batch.length % embedDim !== 0) {
      throw new StageError(`the last text stage (${runner.stageCount - 1}) returned more than ${n} x ${embedDim} text feature values`);
    }
    features.set(batch, at);
    at += batch.length;
  }
  if (at !== features.length) throw new StageError(`the last text stage (${runner.stageCount - 1}) returned ${at / embedDim} of ${n} text features`);
  return features;
}
