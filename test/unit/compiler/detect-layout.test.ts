// Layout detection from file names and reading checkpoint directories (both layouts, hf/ subfolder, int64 buffers).
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterTensors } from "../../../src/compiler/checkpoint/adapter";
import { CheckpointError } from "../../../src/compiler/checkpoint/checkpoint-error";
import { detectLayout } from "../../../src/compiler/checkpoint/detect-layout";
import { toOpenClipTensors } from "../../../src/compiler/checkpoint/open-clip-layout";
import { randomAdapters, randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { readAdapterFile, readCheckpointDir } from "../../../src/compiler/checkpoint/read-checkpoint-dir";
import { serializeSafetensors } from "../../../src/compiler/checkpoint/safetensors";
import { TEST_ARCH, expectCheckpointError, expectSameCheckpoint, toHfLayout } from "./checkpoint-fixtures";
import { torchStateDictFile } from "./torch-zip-fixtures";

/** Appends an I64 `text_model.embeddings.position_ids` [1, n] tensor, as older transformers versions save. */
function withInt64PositionIds(file: Uint8Array, n: number): Uint8Array {
  const headerLen = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLen)).trim()) as Record<string, unknown>;
  const data = file.subarray(8 + headerLen);
  header["text_model.embeddings.position_ids"] = { dtype: "I64", shape: [1, n], data_offsets: [data.length, data.length + 8 * n] };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length + 8 * n);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  for (let i = 0; i < n; i++) dv.setBigInt64(8 + json.length + data.length + 8 * i, BigInt(i), true);
  return out;
}

describe("detectLayout", () => {
  it("recognises open_clip, HF at the top and HF in hf/", () => {
    expect(detectLayout(["open_clip_model.safetensors", "open_clip_config.json", "x.txt"])).toEqual({
      layout: "open_clip",
      model: "open_clip_model.safetensors",
      config: "open_clip_config.json",
    });
    expect(detectLayout(["model.safetensors", "config.json", "preprocessor_config.json"])).toEqual({
      layout: "hf",
      model: "model.safetensors",
      config: "config.json",
      preprocessor: "preprocessor_config.json",
    });
    expect(detectLayout(["hf/model.safetensors", "hf/config.json"]).model).toBe("hf/model.safetensors");
  });

  it("takes torch .bin weights when there is no safetensors file, safetensors first otherwise", () => {
    expect(detectLayout(["open_clip_pytorch_model.bin", "open_clip_config.json"]).model).toBe("open_clip_pytorch_model.bin");
    expect(detectLayout(["open_clip_pytorch_model.bin", "open_clip_model.safetensors", "open_clip_config.json"]).model).toBe("open_clip_model.safetensors");
    expect(detectLayout(["hf/pytorch_model.bin", "hf/config.json"])).toEqual({ layout: "hf", model: "hf/pytorch_model.bin", config: "hf/config.json" });
  });

  it("prefers open_clip when both are present unless told otherwise", () => {
    const both = ["open_clip_model.safetensors", "open_clip_config.json", "hf/model.safetensors", "hf/config.json"];
    expect(detectLayout(both).layout).toBe("open_clip");
    expect(detectLayout(both, "hf").layout).toBe("hf");
  });

  it("lists what was expected and what was found", () => {
    expectCheckpointError(() => detectLayout(["open_clip_model.safetensors", "pytorch_model.bin"]), "layout_not_found", [
      "open_clip_config.json",
      "pytorch_model.bin + config.json",
      "found [open_clip_model.safetensors, pytorch_model.bin]",
    ]);
    expectCheckpointError(() => detectLayout(["model.safetensors", "config.json"], "open_clip"), "layout_not_found", ["open_clip_config.json"]);
  });
});

describe("readCheckpointDir", () => {
  const ckpt = randomCheckpoint(TEST_ARCH, 2);
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ckpt-dir-"));
    const oc = toOpenClipTensors(ckpt);
    await writeFile(join(dir, "open_clip_model.safetensors"), serializeSafetensors(oc.tensors));
    await writeFile(join(dir, "open_clip_config.json"), JSON.stringify(oc.config));
    const hf = toHfLayout(ckpt);
    await mkdir(join(dir, "hf"));
    // HF files carry int64 position_ids buffers; the reader must skip them.
    await writeFile(join(dir, "hf", "model.safetensors"), withInt64PositionIds(serializeSafetensors(hf.tensors), TEST_ARCH.text.contextLength));
    await writeFile(join(dir, "hf", "config.json"), JSON.stringify(hf.config));
    await writeFile(join(dir, "adapter.safetensors"), serializeSafetensors(adapterTensors(randomAdapters({ count: 2, width: 32, embedDim: 24 }))));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads both layouts to the same checkpoint", async () => {
    const oc = await readCheckpointDir(dir);
    const hf = await readCheckpointDir(dir, { layout: "hf" });
    expect(oc.source).toEqual({ layout: "random", files: ["open_clip_model.safetensors", "open_clip_config.json"] });
    expect(hf.source).toEqual({ layout: "hf", files: ["hf/model.safetensors", "hf/config.json"] });
    expectSameCheckpoint(oc, ckpt);
    expectSameCheckpoint(hf, ckpt);
  });

  it("reads adapters", async () => {
    const a = await readAdapterFile(join(dir, "adapter.safetensors"), { width: 32, embedDim: 24 });
    expect(a.weights).toHaveLength(2);
  });

  it("fails clearly on a missing directory", async () => {
    await expect(readCheckpointDir(join(dir, "nope"))).rejects.toBeInstanceOf(CheckpointError);
    await expect(readCheckpointDir(join(dir, "nope"))).rejects.toMatchObject({ code: "layout_not_found" });
  });
});

describe("readCheckpointDir with torch .bin weights", () => {
  const ckpt = randomCheckpoint(TEST_ARCH, 3);
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ckpt-bin-"));
    const oc = toOpenClipTensors(ckpt);
    await writeFile(join(dir, "open_clip_pytorch_model.bin"), torchStateDictFile(oc.tensors));
    await writeFile(join(dir, "open_clip_config.json"), JSON.stringify(oc.config));
    const hf = toHfLayout(ckpt);
    const positionIds = { shape: [1, TEST_ARCH.text.contextLength], data: new Float32Array(TEST_ARCH.text.contextLength) };
    await mkdir(join(dir, "hf"));
    await writeFile(join(dir, "hf", "pytorch_model.bin"), torchStateDictFile({ ...hf.tensors, "text_model.embeddings.position_ids": positionIds }));
    await writeFile(join(dir, "hf", "config.json"), JSON.stringify(hf.config));
    const adapters = adapterTensors(randomAdapters({ count: 2, width: 32, embedDim: 24 }));
    const wrapped = Object.fromEntries(Object.entries(adapters).map(([k, t]) => [`trainable_linearlayer.${k}`, t]));
    await writeFile(join(dir, "adapter.pth"), torchStateDictFile(wrapped));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads open_clip_pytorch_model.bin and HF pytorch_model.bin to the same checkpoint", async () => {
    const oc = await readCheckpointDir(dir);
    const hf = await readCheckpointDir(dir, { layout: "hf" });
    expect(hf.source).toEqual({ layout: "hf", files: ["hf/pytorch_model.bin", "hf/config.json"] });
    expectSameCheckpoint(oc, ckpt);
    expectSameCheckpoint(hf, ckpt);
  });

  it("reads a .pth adapter", async () => {
    const a = await readAdapterFile(join(dir, "adapter.pth"), { width: 32, embedDim: 24 });
    expect(a.weights).toHaveLength(2);
  });
});
