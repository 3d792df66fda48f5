// Decides which checkpoint layout a directory holds from the file names in it.
import { CheckpointError } from "./checkpoint-error";

export type LayoutName = "open_clip" | "hf";

export interface DetectedLayout {
  layout: LayoutName;
  /** Paths relative to the directory. */
  model: string;
  config: string;
  /** HF only: preprocessor_config.json beside config.json, when present. */
  preprocessor?: string;
}

/** Weight files in order of preference: safetensors first (no pickle to check, zero-copy), then torch.save's zip. */
const OPEN_CLIP_WEIGHTS = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"];
const HF_WEIGHTS = ["model.safetensors", "pytorch_model.bin"];

function openClipIn(files: Set<string>): DetectedLayout | undefined {
  const model = OPEN_CLIP_WEIGHTS.find((f) => files.has(f));
  if (model && files.has("open_clip_config.json")) return { layout: "open_clip", model, config: "open_clip_config.json" };
  return undefined;
}

function hfIn(files: Set<string>): DetectedLayout | undefined {
  for (const dir of ["", "hf/"]) {
    const model = HF_WEIGHTS.map((f) => `${dir}${f}`).find((f) => files.has(f));
    if (model && files.has(`${dir}config.json`)) {
      const pre = `${dir}preprocessor_config.json`;
      return { layout: "hf", model, config: `${dir}config.json`, ...(files.has(pre) ? { preprocessor: pre } : {}) };
    }
  }
  return undefined;
}

const OPEN_CLIP_EXPECTED = "open_clip_model.safetensors or open_clip_pytorch_model.bin + open_clip_config.json (open_clip layout)";
const HF_EXPECTED = "model.safetensors or pytorch_model.bin + config.json (Hugging Face layout, at the top or in hf/)";

/**
 * `files`: paths relative to the directory, including those of an `hf/` subfolder as "hf/NAME".
 * With no preference, open_clip wins when both layouts are present.
 */
export function detectLayout(files: readonly string[], prefer?: LayoutName): DetectedLayout {
  const set = new Set(files.map((f) => f.replace(/\\/g, "/")));
  const found = prefer === "hf" ? hfIn(set) : prefer === "open_clip" ? openClipIn(set) : (openClipIn(set) ?? hfIn(set));
  if (found) return found;
  const expected = prefer === "hf" ? HF_EXPECTED : prefer === "open_clip" ? OPEN_CLIP_EXPECTED : `${OPEN_CLIP_EXPECTED} or ${HF_EXPECTED}`;
  throw new CheckpointError("layout_not_found", `no checkpoint found: expected ${expected}; found [${files.join(", ")}]`);
}
