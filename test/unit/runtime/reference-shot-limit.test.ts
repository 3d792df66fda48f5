// The shots a reference set may take follow from what creating it holds per shot at the front and in a stage.
import { describe, expect, it } from "vitest";
import { buildDemoModel, buildStagedDemoModel } from "../../../src/compiler/demo-model";
import type { ServedManifest } from "../../../src/engine/runtime/bundle-manifest";
import { bytesPerShot, FRONT_SHOT_BYTES, referenceShotLimit, STAGE_SHOT_BYTES } from "../../../src/engine/staging/reference-shot-limit";

/** The staged demo's manifest reshaped to a true-size tower: `layers` blocks of `width`, one block per stage. */
function staged(base: ServedManifest, o: { grid: number; width: number; layers: number; fewShot: number[]; blocksPerStage?: number }): ServedManifest {
  const per = o.blocksPerStage ?? 1;
  const stages = Array.from({ length: Math.ceil(o.layers / per) }, (_, i) => ({
    ...(base as { stages: object[] }).stages[0],
    blocks: [i * per, Math.min(o.layers, (i + 1) * per)] as [number, number],
  }));
  return {
    ...base,
    grid: o.grid,
    architecture: { ...base.architecture, vision: { ...base.architecture.vision, width: o.width, layers: o.layers } },
    layers: { ...base.layers, fewShot: o.fewShot },
    stages,
  } as ServedManifest;
}

describe("referenceShotLimit", () => {
  it("gives ViT-L-14-336 at 518 four shots and ViT-B-16 at 224 the service's sixteen", async () => {
    const base = (await buildStagedDemoModel({ stages: 2 })).manifest as ServedManifest;
    const vitL = staged(base, { grid: 37, width: 1024, layers: 24, fewShot: [6, 12, 18, 24] });
    // per shot at the front: 4 layers x 1369 x 1024 half bits + one residual stream (1370 x 1024 float32)
    expect(bytesPerShot(vitL).front).toBe(4 * 1369 * 1024 * 2 + 1370 * 1024 * 4);
    expect(bytesPerShot(vitL).stage).toBe(1369 * 1024 * 4);
    expect(referenceShotLimit(vitL, 16)).toBe(4);
    const vitB = staged(base, { grid: 14, width: 768, layers: 12, fewShot: [3, 6, 9, 12], blocksPerStage: 4 });
    expect(referenceShotLimit(vitB, 16)).toBe(16);
  });

  it("counts every few-shot layer a stage ends, and the bound that binds", async () => {
    const base = (await buildStagedDemoModel({ stages: 2 })).manifest as ServedManifest;
    // all four few-shot layers in one stage: 4 x 576 x 1024 float32 rows per shot in that stage
    const m = staged(base, { grid: 24, width: 1024, layers: 24, fewShot: [6, 12, 18, 24], blocksPerStage: 24 });
    expect(bytesPerShot(m).stage).toBe(4 * 576 * 1024 * 4);
    expect(referenceShotLimit(m, 16)).toBe(Math.min(Math.floor(STAGE_SHOT_BYTES / (4 * 576 * 1024 * 4)), Math.floor(FRONT_SHOT_BYTES / bytesPerShot(m).front)));
    expect(referenceShotLimit(m, 16)).toBe(3);
  });

  it("never goes below one shot, nor above the service's maximum", async () => {
    const base = (await buildStagedDemoModel({ stages: 2 })).manifest as ServedManifest;
    const huge = staged(base, { grid: 100, width: 2048, layers: 4, fewShot: [1, 2, 3, 4] });
    expect(referenceShotLimit(huge, 16)).toBe(1);
    expect(referenceShotLimit(base, 5)).toBe(5);
  });

  it("leaves a single-graph bundle at the service's maximum", async () => {
    const single = (await buildDemoModel()).manifest as ServedManifest;
    expect(bytesPerShot(single)).toEqual({ front: 0, stage: 0 });
    expect(referenceShotLimit(single, 16)).toBe(16);
  });
});
