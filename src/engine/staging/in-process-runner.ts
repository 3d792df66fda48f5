// Every stage in this process, on one staged bundle: what parity and tests chain instead of stage Workers.
import type { ModelBundle } from "../runtime/model-bundle";
import { type BankSource, runImageStage } from "./run-stage";
import { runImageStageShots } from "./run-stage-shots";
import { ortStageGraph, type StageGraph } from "./stage-graph";
import type { StageRunner } from "./stage-port";

/** `graphOf`: what runs stage i's blocks (default onnxruntime-web on its graph), asked once per stage. */
export function inProcessStageRunner(bundle: ModelBundle, banks: BankSource, graphOf?: (index: number) => Promise<StageGraph>): StageRunner {
  const stages = bundle.stages;
  if (!stages) throw new Error(`${bundle.manifest.name} is not a staged bundle`);
  const graphs = new Map<number, Promise<StageGraph>>();
  const graph = (index: number) => {
    let g = graphs.get(index);
    if (!g) {
      g = graphOf ? graphOf(index) : Promise.resolve(ortStageGraph(bundle, index));
      graphs.set(index, g);
    }
    return g;
  };
  return {
    stageCount: stages.length,
    run: async (index, call) => runImageStage(bundle, index, call, banks, await graph(index)),
    runShots: (index, call) =>
      (async function* () {
        yield* runImageStageShots(bundle, index, call, await graph(index));
      })(),
  };
}
