// The APRIL-GAN prompt ensemble: every state x template sentence for one object name, in the reference order.
import prompts from "./prompts.json";

export interface PromptSentences {
  /** normal states x templates: state-major (all 35 templates of state 0, then of state 1, ...). */
  normal: string[];
  /** abnormal states x templates, same order. */
  abnormal: string[];
}

export interface PromptOptions {
  /**
   * Replace '_' in the object name by ' ' before formatting. Default false: the official code
   * (`encode_text_with_prompt_ensemble`) formats the dataset's class name verbatim, e.g. "metal_nut",
   * "pipe_fryum", and the oracle's text features are made the same way.
   */
  underscoreToSpace?: boolean;
}

export const NORMAL_STATES: readonly string[] = prompts.normal_states;
export const ABNORMAL_STATES: readonly string[] = prompts.abnormal_states;
export const PROMPT_TEMPLATES: readonly string[] = prompts.templates;

/** FNV-1a (32 bit) of a string's UTF-16 code units, as 8 hex digits. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * Identifies the prompt lists (and the sentence-building rule) for cache keys of text features:
 * a hash of the three lists, so it changes exactly when the prompts change.
 */
export const PROMPT_SET_VERSION: string = `p1-${fnv1a(JSON.stringify([NORMAL_STATES, ABNORMAL_STATES, PROMPT_TEMPLATES]))}`;

/** Python's `str.format` for a pattern with exactly one "{}" (the value is not re-interpreted). */
function formatOnce(pattern: string, value: string): string {
  const at = pattern.indexOf("{}");
  if (at < 0) throw new Error(`prompt pattern without "{}": ${pattern}`);
  return pattern.slice(0, at) + value + pattern.slice(at + 2);
}

function sentencesFor(states: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (const state of states) {
    const stated = formatOnce(state, name);
    for (const template of PROMPT_TEMPLATES) out.push(formatOnce(template, stated));
  }
  return out;
}

/** sentence = template.format(state.format(name)), states in order, templates in order within each state. */
export function promptSentences(objectName: string, options: PromptOptions = {}): PromptSentences {
  const name = options.underscoreToSpace ? objectName.replace(/_/g, " ") : objectName;
  return { normal: sentencesFor(NORMAL_STATES, name), abnormal: sentencesFor(ABNORMAL_STATES, name) };
}
