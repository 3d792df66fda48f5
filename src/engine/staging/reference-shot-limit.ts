// How many shots one reference set of a staged bundle may take. Creating a set holds, per shot, at the front every
// few-shot layer's bank rows (half bits, until the set is written) and the shot's residual stream of one hop, and in
// a stage ending few-shot layers their float32 rows (the leave-one-out search needs every shot's): both grow with k.
// Measured at k = 4 (README "Three true-size bundles at the default budget"), ViT-L-14-336 at 518 held 64.2 MiB of
// shots at the front (isolate peak 87.8) and 21.4 MiB in a few-shot stage (89.3): the bounds keep every isolate near
// those peaks, under the 100 MB goal, for any bundle and k.
import { isStaged, type ServedManifest } from "../runtime/bundle-manifest";
import { stageLayers } from "./image-stage-layout";

export const FRONT_SHOT_BYTES = 72 * 2 ** 20;
export const STAGE_SHOT_BYTES = 32 * 2 ** 20;

/** Bytes held per shot while a set is created: at the front, and in the stage holding the most. */
export function bytesPerShot(m: ServedManifest): { front: number; stage: number } {
  if (!isStaged(m)) return { front: 0, stage: 0 };
  const patches = m.grid * m.grid;
  const width = m.architecture.vision.width;
  const front = m.layers.fewShot.length * patches * width * 2 + (1 + patches) * width * 4;
  const stage = Math.max(...m.stages.map((s) => stageLayers(m.layers.fewShot, s.blocks).length * patches * width * 4));
  return { front, stage };
}

/** `maxShots` for a single-graph bundle; for a staged one, at most what fits the bounds above (at least 1). */
export function referenceShotLimit(m: ServedManifest, maxShots: number): number {
  const { front, stage } = bytesPerShot(m);
  const shotsWithin = (budget: number, perShot: number) => (perShot > 0 ? Math.floor(budget / perShot) : maxShots);
  return Math.max(1, Math.min(maxShots, shotsWithin(FRONT_SHOT_BYTES, front), shotsWithin(STAGE_SHOT_BYTES, stage)));
}
