// Node-only entry point: reads a checkpoint directory (open_clip or HF layout, safetensors or torch .bin) or an adapter file from disk.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Adapters, ClipCheckpoint } from "./clip-checkpoint";
import type { AdapterOptions } from "./adapter";
import { parseAdapters } from "./adapter";
import { CheckpointError } from "./checkpoint-error";
import type { LayoutName } from "./detect-layout";
import { detectLayout } from "./detect-layout";
import { fromHfTensors } from "./hf-layout";
import { fromOpenClipTensors } from "./open-clip-layout";
import { parseCheckpointFile } from "./parse-checkpoint-file";

async function listFiles(dir: string): Promise<string[]> {
  const top = await readdir(dir);
  const files = [...top];
  if (top.includes("hf") && (await stat(join(dir, "hf"))).isDirectory()) {
    files.push(...(await readdir(join(dir, "hf"))).map((f) => `hf/${f}`));
  }
  return files;
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError("bad_config", `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// HF checkpoints may carry int64 position_ids buffers; they are not weights.
const notPositionIds = (key: string): boolean => !key.endsWith("position_ids");

export async function readCheckpointDir(dir: string, options: { layout?: LayoutName } = {}): Promise<ClipCheckpoint> {
  let files: string[];
  try {
    files = await listFiles(dir);
  } catch (e) {
    throw new CheckpointError("layout_not_found", `cannot list checkpoint directory ${dir}: ${(e as Error).message}`);
  }
  const found = detectLayout(files, options.layout);
  const config = await readJson(join(dir, found.config));
  const tensors = parseCheckpointFile(await readBytes(join(dir, found.model)), { include: notPositionIds });
  if (found.layout === "open_clip") {
    return fromOpenClipTensors(config, tensors, { files: [found.model, found.config] });
  }
  const preprocessorConfig = found.preprocessor ? await readJson(join(dir, found.preprocessor)) : undefined;
  return fromHfTensors(config, tensors, {
    preprocessorConfig,
    files: [found.model, found.config, ...(found.preprocessor ? [found.preprocessor] : [])],
  });
}

/** Reads an APRIL-GAN adapter file: adapter.safetensors, or the official train.py's .pth ({"trainable_linearlayer": state_dict}). */
export async function readAdapterFile(path: string, options: AdapterOptions): Promise<Adapters> {
  return parseAdapters(parseCheckpointFile(await readBytes(path), { unwrap: "trainable_linearlayer" }), options);
}
