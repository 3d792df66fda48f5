// Wrangler configs for a staged bundle (issue 11): the front Worker (wrangler.toml plus one service binding per stage)
// and one config per stage Worker (image, and text when the text tower is staged), as fixed by the stages contract. Pure: the caller reads wrangler.toml and writes files.
import { isAbsolute, relative, resolve } from "node:path";

/** The fields of a raw (unnormalised) wrangler config this module reads or rewrites; the rest is copied as is. */
export interface WranglerConfig {
  name: string;
  main: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  alias?: Record<string, string>;
  rules?: unknown[];
  vars?: Record<string, unknown>;
  r2_buckets?: { binding: string; bucket_name: string; [k: string]: unknown }[];
  services?: { binding: string; service: string; entrypoint?: string }[];
  [field: string]: unknown;
}

export interface StagedConfigOptions {
  /** Image-tower stages of the bundle (its manifest's `stages.length`), at least 2. */
  stageCount: number;
  /** Text-tower stages (its manifest's `textStages.length`); 0 when the text tower is one graph in the front. */
  textStageCount?: number;
  /** The R2 folder the bundle is served from (`models/<MODEL_NAME>/`): the front's and every stage's MODEL_NAME. */
  modelName: string;
  /** The folder the base config was read from: its relative paths (main, aliases) are relative to it. */
  baseDir: string;
  /** The folder the generated configs are written to: their paths are rewritten relative to it. */
  outDir: string;
  /**
   * What runs the image stages' blocks (their ENGINE var: "auto", "ort" or "wasm"); default the base config's ENGINE
   * var, else none (the stage's default, "auto"). The front of a staged bundle runs no image blocks itself.
   */
  engine?: string;
}

export interface StagedConfigs {
  front: WranglerConfig;
  /** Index i is the config of stage i. */
  stages: WranglerConfig[];
  /** Index i is the config of text stage i. */
  textStages: WranglerConfig[];
}

/** The stage RPC entrypoint class that src/worker.ts exports (stages contract). */
export const STAGE_ENTRYPOINT = "ImageStage";
/** The text stage RPC entrypoint class that src/worker.ts exports. */
export const TEXT_STAGE_ENTRYPOINT = "TextStage";
/** The R2 bindings a stage Worker gets, with the front's bucket names: its bundle files and few-shot banks. */
const STAGE_BUCKETS = ["MODELS", "REFERENCE_SETS"] as const;

export function stageWorkerName(frontName: string, index: number): string {
  return `${frontName}-stage-${index}`;
}

export function stageBinding(index: number): string {
  return `STAGE_${index}`;
}

export function textStageWorkerName(frontName: string, index: number): string {
  return `${frontName}-text-stage-${index}`;
}

export function textStageBinding(index: number): string {
  return `TEXT_STAGE_${index}`;
}

/** A relative path of the base config, made relative to outDir; absolute paths stay as they are. */
function relocate(path: string, o: StagedConfigOptions): string {
  if (isAbsolute(path)) return path;
  const moved = relative(resolve(o.outDir), resolve(o.baseDir, path));
  return moved.startsWith(".") ? moved : `./${moved}`;
}

function relocatedAliases(alias: Record<string, string> | undefined, o: StagedConfigOptions): Record<string, string> | undefined {
  if (!alias) return undefined;
  // An alias target is a path when it starts with . or /, else a package name.
  return Object.fromEntries(Object.entries(alias).map(([k, v]) => [k, v.startsWith(".") || v.startsWith("/") ? relocate(v, o) : v]));
}

export function stagedConfigs(base: WranglerConfig, o: StagedConfigOptions): StagedConfigs {
  if (!(Number.isInteger(o.stageCount) && o.stageCount >= 2)) throw new Error(`a staged bundle has at least 2 stages, got ${o.stageCount}`);
  if (!o.modelName) throw new Error("the model name (MODEL_NAME) is empty");
  const main = relocate(base.main, o);
  const alias = relocatedAliases(base.alias, o);
  const taken = new Set((base.services ?? []).map((s) => s.binding));
  const textCount = o.textStageCount ?? 0;
  if (!(Number.isInteger(textCount) && textCount >= 0 && textCount !== 1)) throw new Error(`text stages are 0 (one graph) or at least 2, got ${textCount}`);
  const indices = Array.from({ length: o.stageCount }, (_, i) => i);
  const textIndices = Array.from({ length: textCount }, (_, i) => i);
  for (const b of [...indices.map(stageBinding), ...textIndices.map(textStageBinding)]) {
    if (taken.has(b)) throw new Error(`the base config already binds ${b}`);
  }

  const front: WranglerConfig = {
    ...base,
    main,
    ...(alias ? { alias } : {}),
    vars: { ...base.vars, MODEL_NAME: o.modelName },
    services: [
      ...(base.services ?? []),
      ...indices.map((i) => ({ binding: stageBinding(i), service: stageWorkerName(base.name, i), entrypoint: STAGE_ENTRYPOINT })),
      ...textIndices.map((i) => ({ binding: textStageBinding(i), service: textStageWorkerName(base.name, i), entrypoint: TEXT_STAGE_ENTRYPOINT })),
    ],
  };

  const buckets = STAGE_BUCKETS.map((binding) => {
    const bucket = base.r2_buckets?.find((b) => b.binding === binding);
    if (!bucket) throw new Error(`the base config has no R2 binding ${binding}, which every stage Worker needs`);
    return { binding, bucket_name: bucket.bucket_name };
  });
  const worker = (name: string, vars: Record<string, string>, r2: typeof buckets): WranglerConfig => ({
    name,
    main,
    ...(base.compatibility_date ? { compatibility_date: base.compatibility_date } : {}),
    ...(base.compatibility_flags ? { compatibility_flags: base.compatibility_flags } : {}),
    ...(alias ? { alias } : {}),
    ...(base.rules ? { rules: base.rules } : {}),
    // Reached only through the front's service binding: no public workers.dev route.
    workers_dev: false,
    vars: { MODEL_NAME: o.modelName, ...vars },
    r2_buckets: r2,
  });
  const engine = o.engine ?? (typeof base.vars?.ENGINE === "string" ? base.vars.ENGINE : undefined);
  const stages = indices.map((i) => worker(stageWorkerName(base.name, i), { STAGE_INDEX: String(i), ...(engine ? { ENGINE: engine } : {}) }, buckets));
  // A text stage reads only the bundle.
  const modelsOnly = buckets.filter((b) => b.binding === "MODELS");
  const textStages = textIndices.map((i) => worker(textStageWorkerName(base.name, i), { TEXT_STAGE_INDEX: String(i) }, modelsOnly));
  return { front, stages, textStages };
}

/** The file name of each generated config in outDir. */
export function stagedConfigFiles(stageCount: number, textStageCount = 0): { front: string; stages: string[]; textStages: string[] } {
  return {
    front: "front.json",
    stages: Array.from({ length: stageCount }, (_, i) => `stage-${i}.json`),
    textStages: Array.from({ length: textStageCount }, (_, i) => `text-stage-${i}.json`),
  };
}
