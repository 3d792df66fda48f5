// Every text stage in this process, on one bundle with text stages: build-time text features, parity and tests.
import type { ModelBundle } from "../runtime/model-bundle";
import { runTextStage } from "./run-text-stage";
import type { TextStageRunner } from "./text-stage-port";

export function inProcessTextStageRunner(bundle: ModelBundle): TextStageRunner {
  const stages = bundle.textStages;
  if (!stages) throw new Error(`${bundle.manifest.name} has no text stages`);
  return { stageCount: stages.length, run: (index, call) => runTextStage(bundle, index, call) };
}
