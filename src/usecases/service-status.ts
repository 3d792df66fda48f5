// What GET /v1/health reports: the served model, the prompt set and the request limits.
import { PROMPT_SET_VERSION } from "../engine/anomaly/prompts";
import type { BundleManifest } from "../engine/runtime/bundle-manifest";
import { referenceShotLimit } from "../engine/staging/reference-shot-limit";
import { type Limits, MAX_SHOTS } from "./limits";
import type { ModelRuntime } from "./model-runtime";
import { randomModelWarning } from "./model-warnings";

export interface ServiceStatus {
  status: "ok";
  model: Pick<BundleManifest, "name" | "random" | "modelHash" | "imageSize" | "quantization" | "grid" | "layers" | "projection">;
  promptSet: string;
  limits: Limits & { maxShots: number };
  warning?: string;
}

/** Opens the model (a failure is the caller's 503). */
export async function serviceStatus(runtime: () => Promise<ModelRuntime>, limits: Limits): Promise<ServiceStatus> {
  const m = (await runtime()).bundle.manifest;
  const warning = randomModelWarning(m);
  return {
    status: "ok",
    model: {
      name: m.name,
      random: m.random,
      modelHash: m.modelHash,
      imageSize: m.imageSize,
      quantization: m.quantization,
      grid: m.grid,
      layers: m.layers,
      projection: m.projection,
    },
    promptSet: PROMPT_SET_VERSION,
    limits: { ...limits, maxShots: referenceShotLimit(m, MAX_SHOTS) },
    ...(warning ? { warning } : {}),
  };
}
