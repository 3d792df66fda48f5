// The warning every response served from a random-weight model carries.
import type { BundleManifest } from "../engine/runtime/bundle-manifest";

/** Empty for a real model. */
export function randomModelWarning(m: Pick<BundleManifest, "random" | "name">): string {
  return m.random ? `model "${m.name}" has random weights (random: true): scores, maps and calibrations from it are meaningless.` : "";
}

/** {name, random, modelHash} of the served model, as every scoring response reports it. */
export function modelSummary(m: Pick<BundleManifest, "random" | "name" | "modelHash">): { name: string; random: boolean; modelHash: string } {
  return { name: m.name, random: m.random, modelHash: m.modelHash };
}
