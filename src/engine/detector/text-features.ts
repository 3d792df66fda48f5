// Prompt-ensemble text features of one object name: tokenize every sentence, encode, average per state group.
import { ensembleTextFeatures } from "../anomaly/text-features";
import { promptSentences } from "../anomaly/prompts";
import { encodeTexts } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";

export interface TextTokenizer {
  tokenize(texts: string[], contextLength?: number): Int32Array;
}

/** Token id rows [n, contextLength] -> L2-normalised text embeddings [n, embedDim]. */
export type TextEmbedder = (ids: Int32Array) => Promise<Float32Array>;

/**
 * Text features [embedDim, 2] (column 0 normal, 1 abnormal) of `objectName` under the bundle's text tower: its whole
 * graph here by default, or `encode` (e.g. the text tower in stages, src/engine/staging/staged-text.ts).
 */
export async function objectTextFeatures(
  bundle: ModelBundle,
  tokenizer: TextTokenizer,
  objectName: string,
  encode: TextEmbedder = (ids) => encodeTexts(bundle, ids),
): Promise<Float32Array> {
  const { normal, abnormal } = promptSentences(objectName);
  const context = bundle.manifest.architecture.text.contextLength;
  const embeddings = await encode(tokenizer.tokenize([...normal, ...abnormal], context));
  const e = bundle.manifest.architecture.embedDim;
  return ensembleTextFeatures(embeddings.subarray(0, normal.length * e), embeddings.subarray(normal.length * e), e);
}
