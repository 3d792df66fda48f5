// Prompt-ensemble text features of one object name: tokenize every sentence, encode, average per state group.
import { ensembleTextFeatures } from "../anomaly/text-features";
import { promptSentences } from "../anomaly/prompts";
import { encodeTexts } from "../runtime/clip-encoders";
import type { ModelBundle } from "../runtime/model-bundle";

export interface TextTokenizer {
  tokenize(texts: string[], contextLength?: number): Int32Array;
}

/** Text features [embedDim, 2] (column 0 normal, 1 abnormal) of `objectName` under the bundle's text tower. */
export async function objectTextFeatures(bundle: ModelBundle, tokenizer: TextTokenizer, objectName: string): Promise<Float32Array> {
  const { normal, abnormal } = promptSentences(objectName);
  const context = bundle.manifest.architecture.text.contextLength;
  const embeddings = await encodeTexts(bundle, tokenizer.tokenize([...normal, ...abnormal], context));
  const e = bundle.manifest.architecture.embedDim;
  return ensembleTextFeatures(embeddings.subarray(0, normal.length * e), embeddings.subarray(normal.length * e), e);
}
