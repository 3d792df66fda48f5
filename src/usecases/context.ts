// Wires the use cases to this worker's bindings: the served model, the R2 reference-set store, the limits.
import type { Env } from "../platform/env";
import { r2ReferenceSetStore } from "../platform/r2-reference-sets";
import type { ReferenceSetContext } from "./few-shot-reference";
import { limitsOf } from "./limits";
import { modelRuntime } from "./model-runtime";

export async function referenceSetContext(env: Env): Promise<ReferenceSetContext> {
  return { runtime: await modelRuntime(env), ...referenceSetStorage(env), limits: limitsOf(env) };
}

/** Storage alone, for what needs no model (list, delete): they keep working while the model is unavailable. */
export function referenceSetStorage(env: Env): Pick<ReferenceSetContext, "store"> {
  return { store: r2ReferenceSetStore(env.REFERENCE_SETS) };
}
