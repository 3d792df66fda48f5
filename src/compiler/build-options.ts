// Command-line options that model:build and model:fetch share, parsed the same way for both.
import { DEMO_OBJECT_NAMES } from "../engine/tokenizer/demo-vocab";
import { CompileError, type QuantOption } from "./compile-bundle";

/** `int8` is `int8-dynamic` (README, Quantization). */
export const QUANT_OPTIONS: readonly QuantOption[] = ["fp32", "int8", "int8-dynamic", "int8-weight", "int8-block", "int4-block"];

export function parseQuantOption(text: string): QuantOption {
  if (!(QUANT_OPTIONS as readonly string[]).includes(text))
    throw new CompileError("bad_quant", `--quant must be one of ${QUANT_OPTIONS.join(", ")}, got ${text}`);
  return text as QuantOption;
}

/** `--text-features`: "known" (the MVTec AD and VisA objects) or comma-separated object names. */
export function parseTextFeatureObjects(option: string | undefined): string[] | undefined {
  if (option === undefined) return undefined;
  if (option === "known") return [...DEMO_OBJECT_NAMES];
  const names = option.split(",").map((n) => n.trim());
  if (names.some((n) => !n)) throw new CompileError("bad_text_features", `--text-features takes "known" or comma-separated object names, got "${option}"`);
  return names;
}

/** The platform's per-isolate memory (Cloudflare Workers): what a stage must fit when no budget is given. */
export const DEFAULT_ISOLATE_BUDGET_MB = 128;

/**
 * `--stages K` or `--isolate-budget-mb N` (default 128, the isolate's limit; stages are planned to N x PLAN_SHARE, stage-plan.ts): a bundle whose predicted peak fits stays one
 * graph, a larger one is split into as few stages as fit. `--stages 1` forces the single graph whatever its size.
 */
export function parseStageOptions(stagesText: string | undefined, budgetText: string | undefined): { stages?: number; isolateBudgetMb?: number } {
  if (stagesText !== undefined && budgetText !== undefined) throw new CompileError("bad_stages", "give --stages or --isolate-budget-mb, not both");
  if (stagesText !== undefined) {
    const stages = Number(stagesText);
    if (!(Number.isInteger(stages) && stages >= 1)) throw new CompileError("bad_stages", `--stages must be a positive integer, got ${stagesText}`);
    return { stages };
  }
  const isolateBudgetMb = budgetText === undefined ? DEFAULT_ISOLATE_BUDGET_MB : Number(budgetText);
  if (!(isolateBudgetMb > 0)) throw new CompileError("bad_stages", `--isolate-budget-mb must be a positive number of MB, got ${budgetText}`);
  return { isolateBudgetMb };
}
