// Configs of a staged bundle's Workers: the front keeps everything and binds every stage; a stage gets only the contract's part.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { describe, expect, it } from "vitest";
import { stagedConfigs, stageWorkerName, type WranglerConfig } from "../../../src/runner/stage-configs";

const ROOT = resolve(import.meta.dirname, "../../..");
const base = experimental_readRawConfig({ config: resolve(ROOT, "wrangler.toml") }).rawConfig as unknown as WranglerConfig;
const options = { stageCount: 3, modelName: "vitb16-int8", baseDir: ROOT, outDir: resolve(ROOT, ".wrangler/stages") };

describe("stagedConfigs from the project's wrangler.toml", () => {
  const { front, stages } = stagedConfigs(base, options);

  it("names and binds one stage Worker per stage, to the ImageStage entrypoint", () => {
    expect(stages.map((s) => s.name)).toEqual(["edge-anomaly-stage-0", "edge-anomaly-stage-1", "edge-anomaly-stage-2"]);
    expect(front.services).toEqual([
      { binding: "STAGE_0", service: "edge-anomaly-stage-0", entrypoint: "ImageStage" },
      { binding: "STAGE_1", service: "edge-anomaly-stage-1", entrypoint: "ImageStage" },
      { binding: "STAGE_2", service: "edge-anomaly-stage-2", entrypoint: "ImageStage" },
    ]);
  });

  it("keeps the front's bindings, cron, queues and vars, with the model's name", () => {
    expect(front.name).toBe("edge-anomaly");
    expect(front.triggers).toEqual(base.triggers);
    expect(front.queues).toEqual(base.queues);
    expect(front.kv_namespaces).toEqual(base.kv_namespaces);
    expect(front.r2_buckets).toEqual(base.r2_buckets);
    expect(front.vars).toEqual({ ...base.vars, MODEL_NAME: "vitb16-int8" });
  });

  it("gives a stage the same script, aliases and wasm rule, its index, and the two buckets, nothing else", () => {
    stages.forEach((s, i) => {
      expect(s.main).toBe(front.main);
      expect(s.alias).toEqual(front.alias);
      expect(s.rules).toEqual(base.rules);
      expect(s.compatibility_date).toBe(base.compatibility_date);
      // ENGINE: wrangler.toml's (what runs the stage's blocks).
      expect(s.vars).toEqual({ MODEL_NAME: "vitb16-int8", STAGE_INDEX: String(i), ENGINE: "auto" });
      const bucket = (b: string) => base.r2_buckets!.find((x) => x.binding === b)!.bucket_name;
      expect(s.r2_buckets).toEqual([
        { binding: "MODELS", bucket_name: bucket("MODELS") },
        { binding: "REFERENCE_SETS", bucket_name: bucket("REFERENCE_SETS") },
      ]);
      expect(Object.keys(s).sort()).toEqual(["alias", "compatibility_date", "main", "name", "r2_buckets", "rules", "vars", "workers_dev"]);
      expect(s.workers_dev).toBe(false);
    });
  });

  it("rewrites the script and alias paths relative to the output folder, pointing at the same files", () => {
    expect(front.main).toBe("../../src/worker.ts");
    expect(resolve(options.outDir, front.main)).toBe(resolve(ROOT, base.main));
    for (const [name, target] of Object.entries(front.alias!)) {
      expect(resolve(options.outDir, target)).toBe(resolve(ROOT, base.alias![name]!));
      expect(readFileSync(resolve(options.outDir, target)).length).toBeGreaterThan(0);
    }
  });

  it("leaves the base config untouched", () => {
    expect(base.services).toBeUndefined();
    expect(base.main).toBe("src/worker.ts");
  });
});

describe("stagedConfigs edge cases", () => {
  const tiny: WranglerConfig = {
    name: "svc",
    main: "/abs/worker.ts",
    alias: { pkg: "other-package" },
    r2_buckets: [
      { binding: "MODELS", bucket_name: "m" },
      { binding: "REFERENCE_SETS", bucket_name: "r" },
    ],
    services: [{ binding: "AUTH", service: "auth" }],
  };

  it("keeps absolute paths, package aliases and existing service bindings", () => {
    const { front, stages } = stagedConfigs(tiny, { ...options, stageCount: 2, baseDir: "/x", outDir: "/y/z" });
    expect(front.main).toBe("/abs/worker.ts");
    expect(front.alias).toEqual({ pkg: "other-package" });
    expect(front.services!.map((s) => s.binding)).toEqual(["AUTH", "STAGE_0", "STAGE_1"]);
    expect(stages[1]!.name).toBe(stageWorkerName("svc", 1));
    expect(stages[0]!.rules).toBeUndefined();
  });

  it("refuses fewer than 2 stages, an empty model name, a missing bucket and a taken binding", () => {
    expect(() => stagedConfigs(tiny, { ...options, stageCount: 1 })).toThrow(/at least 2 stages/);
    expect(() => stagedConfigs(tiny, { ...options, modelName: "" })).toThrow(/MODEL_NAME/);
    expect(() => stagedConfigs({ ...tiny, r2_buckets: [{ binding: "MODELS", bucket_name: "m" }] }, options)).toThrow(/REFERENCE_SETS/);
    expect(() => stagedConfigs({ ...tiny, services: [{ binding: "STAGE_1", service: "x" }] }, options)).toThrow(/STAGE_1/);
  });
});

describe("stagedConfigs with the text tower in stages", () => {
  const { front, stages, textStages } = stagedConfigs(base, { ...options, textStageCount: 2 });

  it("binds the text stage Workers after the image stages, to the TextStage entrypoint", () => {
    expect(stages).toHaveLength(3);
    expect(textStages.map((s) => s.name)).toEqual(["edge-anomaly-text-stage-0", "edge-anomaly-text-stage-1"]);
    expect(front.services!.slice(3)).toEqual([
      { binding: "TEXT_STAGE_0", service: "edge-anomaly-text-stage-0", entrypoint: "TextStage" },
      { binding: "TEXT_STAGE_1", service: "edge-anomaly-text-stage-1", entrypoint: "TextStage" },
    ]);
  });

  it("gives a text stage the script, its index and the model bucket only", () => {
    textStages.forEach((s, i) => {
      expect(s.main).toBe(front.main);
      expect(s.rules).toEqual(base.rules);
      expect(s.vars).toEqual({ MODEL_NAME: "vitb16-int8", TEXT_STAGE_INDEX: String(i) });
      expect(s.r2_buckets).toEqual([{ binding: "MODELS", bucket_name: base.r2_buckets!.find((b) => b.binding === "MODELS")!.bucket_name }]);
      expect(s.workers_dev).toBe(false);
      expect(s.queues).toBeUndefined();
      expect(s.triggers).toBeUndefined();
    });
  });

  it("refuses one text stage (a whole text graph is 0) and a base config that already binds a text stage", () => {
    expect(() => stagedConfigs(base, { ...options, textStageCount: 1 })).toThrow(/0 \(one graph\) or at least 2/);
    expect(() => stagedConfigs({ ...base, services: [{ binding: "TEXT_STAGE_0", service: "x" }] }, { ...options, textStageCount: 2 })).toThrow(/TEXT_STAGE_0/);
    expect(stagedConfigs(base, options).textStages).toEqual([]);
  });
});

describe("the image stages' engine", () => {
  it("gives the image stage Workers ENGINE when asked, else the base config's, and the text stages none", () => {
    const asked = stagedConfigs(base, { ...options, textStageCount: 2, engine: "wasm" });
    expect(asked.stages.map((c) => c.vars?.ENGINE)).toEqual(asked.stages.map(() => "wasm"));
    expect(asked.textStages.map((c) => c.vars?.ENGINE)).toEqual([undefined, undefined]);
    const fromBase = stagedConfigs({ ...base, vars: { ...base.vars, ENGINE: "wasm" } }, options);
    expect(fromBase.stages.every((c) => c.vars?.ENGINE === "wasm")).toBe(true);
    const { ENGINE: _, ...noEngine } = base.vars ?? {};
    expect(stagedConfigs({ ...base, vars: noEngine }, options).stages.every((c) => c.vars?.ENGINE === undefined)).toBe(true);
  });
});
