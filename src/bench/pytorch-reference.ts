// The official APRIL-GAN pipeline in PyTorch (scripts/reference/april_gan_torch.py), timed beside ours when torch is importable.
import { execFileSync, spawnSync } from "node:child_process";

export interface PytorchStageTimes {
  p50: number;
  p95: number;
}

export interface PytorchRunResult {
  python: string;
  torch: string;
  threads: number;
  /** BLAS/LAPACK/oneDNN shared objects mapped in the Python process. */
  blas: string[];
  image_size: number;
  runs: number;
  load_ms: number;
  text_features_ms: number;
  /** decode, preprocess, encoder, scoring (score + adapters + maps), total. */
  zero_shot_ms: Record<"decode" | "preprocess" | "encoder" | "scoring" | "total", PytorchStageTimes>;
  /** Process CPU time of the whole per-image pipeline (on a loaded machine wall time is mostly waiting for a core). */
  zero_shot_cpu_ms: PytorchStageTimes;
  zero_shot_score: number;
}

export interface PytorchRunOptions {
  /** open_clip-layout folder: open_clip_config.json, open_clip_model.safetensors, adapter.safetensors. */
  modelDir: string;
  imagePath: string;
  object: string;
  layers: number[];
  imageSize?: number;
  runs: number;
}

const SCRIPT = "scripts/reference/april_gan_torch.py";

/** The first interpreter that imports torch: $PYTHON, else python3 on PATH, else Debian's /usr/bin/python3 (a pyenv
 * python3 may come first on PATH without Debian's dist-packages). */
export function findTorchPython(): string | undefined {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : ["python3", "/usr/bin/python3"];
  return candidates.find((python) => spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
}

function referenceArgs(o: PytorchRunOptions): string[] {
  const args = [SCRIPT, "--model", o.modelDir, "--image", o.imagePath, "--object", o.object, "--layers", o.layers.join(","), "--runs", String(o.runs)];
  if (o.imageSize !== undefined) args.push("--image-size", String(o.imageSize));
  return args;
}

/** Arguments that start the official pipeline as a live side of interleaved runs (one warm-up, then --serve). */
export function pytorchServeArgs(o: PytorchRunOptions): string[] {
  return [...referenceArgs({ ...o, runs: 0 }), "--serve"];
}

export function runPytorchReference(python: string, o: PytorchRunOptions): PytorchRunResult {
  const args = [...referenceArgs(o), "--json"];
  const out = execFileSync(python, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return { python, ...(JSON.parse(out.trim().split("\n").pop()!) as Omit<PytorchRunResult, "python">) };
}
