// The text tower run stage by stage through a TextStageRunner: the same embeddings as encodeTexts on the whole graph.
import type { TextStageRunner } from "./text-stage-port";
import { StageError } from "./stage-port";

/**
 * Encodes token id rows [n, contextLength] into L2-normalised embeddings [n, embedDim]. Every row is trimmed to the
 * longest EOT position + 1 over all rows (the causal mask makes each EOT row independent of what follows it), so the
 * whole batch crosses each hop once.
 */
export async function encodeTextsInStages(runner: TextStageRunner, ids: Int32Array, contextLength: number): Promise<Float32Array> {
  const n = ids.length / contextLength;
  let seq = 1;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < contextLength; c++) if (ids[r * contextLength + c]! > ids[r * contextLength + best]!) best = c;
    seq = Math.max(seq, best + 1);
  }
  const tokens = new BigInt64Array(n * seq);
  for (let r = 0; r < n; r++) for (let c = 0; c < seq; c++) tokens[r * seq + c] = BigInt(ids[r * contextLength + c]!);
  let residual: Float32Array | undefined;
  for (let i = 0; i < runner.stageCount; i++) {
    const reply = await runner.run(i, { tokens, seq, ...(residual ? { residual } : {}) });
    if (i === runner.stageCount - 1) {
      if (!reply.features) throw new StageError(`the last text stage (${i}) returned no text features`);
      return reply.features;
    }
    if (!reply.residual) throw new StageError(`text stage ${i} returned no residual stream`);
    residual = reply.residual;
  }
  throw new StageError("a text tower in stages needs at least one stage");
}
