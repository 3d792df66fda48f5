// A small, self-made merges file covering the prompt-ensemble vocabulary, for demo/random models.
//
// Learned from every prompt sentence (prompts.json: templates x states) for a list of common
// industrial object names, so it ships nothing from OpenAI's vocabulary. Ids differ from real
// CLIP's: use it only with models whose text tower was built for it.
import prompts from "../anomaly/prompts.json";
import { countPretokens, formatMergesFile, learnMerges } from "./bpe-learner";

export interface PromptLists {
  readonly normal_states: readonly string[];
  readonly abnormal_states: readonly string[];
  readonly templates: readonly string[];
}

/** MVTec AD and VisA object names. */
export const DEMO_OBJECT_NAMES: readonly string[] = [
  "bottle",
  "cable",
  "capsule",
  "carpet",
  "grid",
  "hazelnut",
  "leather",
  "metal_nut",
  "pill",
  "screw",
  "tile",
  "toothbrush",
  "transistor",
  "wood",
  "zipper",
  "candle",
  "pcb",
  "macaroni",
  "fryum",
  "cashew",
  "chewinggum",
  "pipe_fryum",
  "magnetic_tile",
];

export interface DemoMergesOptions {
  prompts?: PromptLists;
  objectNames?: readonly string[];
  maxMerges?: number;
}

/** Every sentence of the ensemble for `name` (the Python `str.format` with one `{}`). */
function* sentences(lists: PromptLists, name: string): Generator<string> {
  for (const state of [...lists.normal_states, ...lists.abnormal_states]) {
    const object = state.replace("{}", name);
    for (const template of lists.templates) yield template.replace("{}", object);
  }
}

/** The demo merges file text ("#version: 0.2" header, then "a b" lines); same output every call. */
export function buildDemoMerges(opts: DemoMergesOptions = {}): string {
  const lists = opts.prompts ?? prompts;
  const names = opts.objectNames ?? DEMO_OBJECT_NAMES;
  const corpus: string[] = [];
  for (const name of names) {
    // Both spellings: callers may pass "metal_nut" or "metal nut".
    for (const spelling of new Set([name, name.replaceAll("_", " ")])) {
      corpus.push(spelling, ...sentences(lists, spelling));
    }
  }
  const merges = learnMerges(countPretokens(corpus), { maxMerges: opts.maxMerges ?? 2000 });
  return formatMergesFile(merges);
}
