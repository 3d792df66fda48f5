// The oracle README's agreement rules, by array kind and quantization.
import type { Agreement } from "./compare-arrays";

export type ArrayKind =
  | "token_ids"
  | "pixels"
  | "mask"
  | "tensor" // tokens, projected tokens, image/text features, memory banks
  | "map"
  | "score" // an image score in [0, 1]
  | "map_max" // the max of a map (few_shot_max, combined_max)
  | "e2e_map"
  | "e2e_score"
  | "e2e_map_max";

export interface Rule {
  describe: string;
  ok: (a: Agreement) => boolean;
}

const exact: Rule = { describe: "identical", ok: (a) => a.maxAbs === 0 };
const reported: Rule = { describe: "reported", ok: () => true };

const FP32: Record<ArrayKind, Rule> = {
  token_ids: exact,
  pixels: { describe: "maxAbs <= 0.02", ok: (a) => a.maxAbs <= 0.02 },
  mask: exact,
  tensor: { describe: "rel <= 1e-4", ok: (a) => a.rel <= 1e-4 },
  map: { describe: "maxAbs <= 1e-3", ok: (a) => a.maxAbs <= 1e-3 },
  score: { describe: "maxAbs <= 1e-4", ok: (a) => a.maxAbs <= 1e-4 },
  map_max: { describe: "maxAbs <= 1e-3", ok: (a) => a.maxAbs <= 1e-3 },
  e2e_map: { describe: "pearson >= 0.999, maxAbs <= 0.05", ok: (a) => a.pearson >= 0.999 && a.maxAbs <= 0.05 },
  e2e_score: { describe: "maxAbs <= 1e-3", ok: (a) => a.maxAbs <= 1e-3 },
  e2e_map_max: { describe: "maxAbs <= 0.05", ok: (a) => a.maxAbs <= 0.05 },
};

const INT8: Record<ArrayKind, Rule> = {
  token_ids: exact,
  pixels: FP32.pixels,
  mask: exact,
  tensor: reported,
  map: { describe: "pearson >= 0.99", ok: (a) => a.pearson >= 0.99 },
  score: { describe: "maxAbs <= 0.02", ok: (a) => a.maxAbs <= 0.02 },
  map_max: reported,
  e2e_map: { describe: "pearson >= 0.99", ok: (a) => a.pearson >= 0.99 },
  e2e_score: { describe: "maxAbs <= 0.02", ok: (a) => a.maxAbs <= 0.02 },
  e2e_map_max: reported,
};

export function ruleFor(kind: ArrayKind, quantized: boolean): Rule {
  return (quantized ? INT8 : FP32)[kind];
}
