// Every stage in this process, on one staged bundle: what parity and tests chain instead of stage Workers.
import type { ModelBundle } from "../runtime/model-bundle";
import { type BankSource, runImageStage } from "./run-stage";
import { runImageStageShots } from "./run-stage-shots";
import type { StageRunner } from "./stage-port";

export function inProcessStageRunner(bundle: ModelBundle, banks: BankSource): StageRunner {
  const stages = bundle.stages;
  if (!stages) throw new Error(`${bundle.manifest.name} is not a staged bundle`);
  return {
    stageCount: stages.length,
    run: (index, call) => runImageStage(bundle, index, call, banks),
    runShots: (index, call) => runImageStageShots(bundle, index, call),
  };
}
