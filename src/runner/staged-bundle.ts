// Node-only: reads wrangler.toml and a bundle's manifest, writes the staged configs (src/runner/stage-configs.ts) as JSON.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { stagedConfigFiles, stagedConfigs, type StagedConfigs, type WranglerConfig } from "./stage-configs";

/** The number of image-tower stages a bundle's manifest lists; 0 for a single-graph bundle. */
export function bundleStageCount(bundleDir: string): number {
  return bundleStageCounts(bundleDir).stages;
}

/** Image- and text-tower stages a bundle's manifest lists; 0 for a tower that is one graph. */
export function bundleStageCounts(bundleDir: string): { stages: number; textStages: number } {
  const manifest = JSON.parse(readFileSync(join(bundleDir, "manifest.json"), "utf8")) as { stages?: unknown; textStages?: unknown };
  const count = (field: "stages" | "textStages") => {
    const list = manifest[field];
    if (list === undefined) return 0;
    if (!Array.isArray(list) || list.length < 2) throw new Error(`${bundleDir}/manifest.json: "${field}" must list at least 2 stages`);
    return list.length;
  };
  return { stages: count("stages"), textStages: count("textStages") };
}

/** wrangler.toml as written (not normalised: relative paths stay relative to its folder). */
export function readBaseConfig(configPath: string): WranglerConfig {
  return experimental_readRawConfig({ config: configPath }).rawConfig as unknown as WranglerConfig;
}

export interface WrittenConfigs {
  configs: StagedConfigs;
  /** Absolute paths: the front's config first, then stage 0, 1, ..., then text stage 0, 1, ... (`wrangler dev -c ... -c ...`). */
  paths: string[];
}

/** Generates the configs of every Worker of a staged bundle into outDir, replacing what a previous run left there. */
export function writeStagedConfigs(o: {
  baseConfig: string;
  outDir: string;
  stageCount: number;
  textStageCount?: number;
  modelName: string;
  /** The image stages' ENGINE var (see StagedConfigOptions.engine). */
  engine?: string;
}): WrittenConfigs {
  const outDir = resolve(o.outDir);
  const configs = stagedConfigs(readBaseConfig(o.baseConfig), {
    stageCount: o.stageCount,
    textStageCount: o.textStageCount ?? 0,
    modelName: o.modelName,
    baseDir: dirname(resolve(o.baseConfig)),
    outDir,
    ...(o.engine ? { engine: o.engine } : {}),
  });
  // A previous bundle may have had more stages: its extra configs must not linger beside these.
  if (existsSync(outDir)) for (const f of readdirSync(outDir)) if (/^(front|stage-\d+|text-stage-\d+)\.json$/.test(f)) rmSync(join(outDir, f));
  mkdirSync(outDir, { recursive: true });
  const names = stagedConfigFiles(o.stageCount, o.textStageCount ?? 0);
  const write = (file: string, config: WranglerConfig) => {
    const path = join(outDir, file);
    writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
    return path;
  };
  const paths = [
    write(names.front, configs.front),
    ...configs.stages.map((c, i) => write(names.stages[i]!, c)),
    ...configs.textStages.map((c, i) => write(names.textStages[i]!, c)),
  ];
  return { configs, paths };
}
