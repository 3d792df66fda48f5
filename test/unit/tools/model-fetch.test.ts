// model:fetch against a local Hub-shaped server: LFS redirects and ETags, one broken transfer resumed with Range,
// the cache, and wrong hashes / missing files failing with the file named and no bundle written.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterTensors } from "../../../src/compiler/checkpoint/adapter";
import { randomAdapters, randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { compileCheckpointDir } from "../../../src/compiler/build-model-dir";
import { demoArch } from "../../../src/compiler/demo-model";
import { createClipTokenizer } from "../../../src/engine/tokenizer/clip-tokenizer";
import { buildDemoMerges } from "../../../src/engine/tokenizer/demo-vocab";
import { buildVocab } from "../../../src/engine/tokenizer/vocab";
import { fetchCheckpoint } from "../../../src/hub/fetch-checkpoint";
import { authHeaders } from "../../../src/hub/hub-file";
import { toHfLayout } from "../compiler/checkpoint-fixtures";
import { torchStateDictFile } from "../compiler/torch-zip-fixtures";
import { type HubServer, type HubServerFile, startHubServer } from "./hub-server";

const REPO = "acme/clip-tiny";
const ROOT = resolve(__dirname, "../../..");
const run = promisify(execFile);

function repoFiles(): Record<string, Uint8Array> {
  const merges = buildDemoMerges();
  const arch = demoArch(createClipTokenizer(merges).vocabSize);
  const hf = toHfLayout(randomCheckpoint(arch, 5));
  const v = buildVocab(merges);
  const vocabJson = Object.fromEntries(v.decoder.map((t, i) => [i === v.sot ? "<|startoftext|>" : i === v.eot ? "<|endoftext|>" : t, i]));
  const adapters = adapterTensors(randomAdapters({ count: 4, width: arch.vision.width, embedDim: arch.embedDim, seed: 2 }));
  const enc = new TextEncoder();
  return {
    "config.json": enc.encode(JSON.stringify(hf.config)),
    "pytorch_model.bin": torchStateDictFile(hf.tensors),
    "vocab.json": enc.encode(JSON.stringify(vocabJson)),
    "merges.txt": enc.encode(`#version: 0.2\n${merges.split("\n").slice(1).join("\n")}`),
    "adapter.pth": torchStateDictFile(Object.fromEntries(Object.entries(adapters).map(([k, t]) => [`trainable_linearlayer.${k}`, t]))),
  };
}

async function fetchCli(endpoint: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(ROOT, "node_modules/.bin/tsx"), ["scripts/model-fetch.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, HF_ENDPOINT: endpoint, HF_TOKEN: "hf_test" },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("model:fetch", () => {
  const bytes = repoFiles();
  const lfs = new Set(["pytorch_model.bin", "adapter.pth"]);
  let hub: HubServer;
  let tmp = "";

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "model-fetch-"));
    const served: Record<string, HubServerFile> = Object.fromEntries(Object.entries(bytes).map(([n, b]) => [n, { bytes: b, lfs: lfs.has(n) }]));
    hub = await startHubServer(REPO, served);
  });
  afterAll(async () => {
    await hub?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("downloads through LFS redirects, resumes a broken transfer and builds the bundle model:build builds", async () => {
    const local = join(tmp, "local");
    await mkdir(local);
    for (const [n, b] of Object.entries(bytes)) await writeFile(join(local, n), b);
    const direct = await compileCheckpointDir({ from: local, out: "x", vocab: local, adapter: join(local, "adapter.pth") });

    hub.breakNextTransfer.add("pytorch_model.bin");
    const out = join(tmp, "models", "tiny");
    const cache = join(tmp, "cache");
    const adapterUrl = `${hub.endpoint}/${REPO}/resolve/main/adapter.pth`;
    const r = await fetchCli(hub.endpoint, ["--repo", REPO, "--out", out, "--cache", cache, "--adapter", adapterUrl]);
    expect(r.stderr).toContain("resumed at");
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));
    expect(manifest.files).toEqual(direct.manifest.files);
    expect(manifest.modelHash).toBe(direct.manifest.modelHash);
    expect(manifest.source.files).toEqual(["pytorch_model.bin", "config.json"]);
    expect(hub.log.filter((l) => l.startsWith("HEAD /acme/clip-tiny/resolve/main/")).every((l) => l.endsWith("[Bearer hf_test]"))).toBe(true);
    // The second GET asks for the rest from where the kept part ends: not from 0. (How much of the flushed half the
    // client had read when the connection closed depends on scheduling: one run under load resumed below the half.)
    const binGets = hub.log.filter((l) => l.startsWith("GET /lfs/"));
    const resumedAt = binGets.map((l) => Number(/bytes=(\d+)-/.exec(l)?.[1] ?? 0));
    expect(
      resumedAt.some((at) => at > 0 && at <= Math.floor(bytes["pytorch_model.bin"]!.length / 2)),
      binGets.join("; "),
    ).toBe(true);
    expect(existsSync(join(cache, "acme--clip-tiny", "main", "pytorch_model.bin.part"))).toBe(false);

    // a second run takes every file from the cache: HEADs only
    hub.log.length = 0;
    const again = await fetchCli(hub.endpoint, ["--repo", REPO, "--out", join(tmp, "models", "again"), "--cache", cache, "--adapter", adapterUrl]);
    expect(again.code, again.stderr).toBe(0);
    expect(hub.log.filter((l) => l.startsWith("GET"))).toEqual([]);
    expect(again.stderr).toContain("pytorch_model.bin: cached");

    // a stale weights file in the cache (from an older state of the revision) is removed, not read
    await writeFile(join(cache, "acme--clip-tiny", "main", "model.safetensors"), "stale");
    await fetchCheckpoint({ endpoint: hub.endpoint, repo: REPO, revision: "main" }, cache);
    expect(existsSync(join(cache, "acme--clip-tiny", "main", "model.safetensors"))).toBe(false);
  });

  it("refuses a file whose bytes do not match the Hub's hash, naming it, and writes no bundle", async () => {
    const corrupt = new Uint8Array(bytes["pytorch_model.bin"]!);
    corrupt[corrupt.length - 100]! ^= 1;
    const bad = await startHubServer(REPO, {
      ...Object.fromEntries(Object.entries(bytes).map(([n, b]) => [n, { bytes: b, lfs: lfs.has(n) }])),
      "pytorch_model.bin": { bytes: bytes["pytorch_model.bin"]!, lfs: true, corruptWith: corrupt },
      "config.json": { bytes: bytes["config.json"]!, lfs: false },
    });
    try {
      const out = join(tmp, "models", "corrupt");
      const cache = join(tmp, "cache-corrupt");
      const r = await fetchCli(bad.endpoint, ["--repo", REPO, "--out", out, "--cache", cache]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/\[hash_mismatch\]: pytorch_model\.bin: sha256 [0-9a-f]{64} differs from the Hub's/);
      expect(existsSync(out)).toBe(false);
      expect((await readdir(join(tmp, "models"))).some((d) => d.startsWith("corrupt"))).toBe(false);
      expect(await readdir(join(cache, "acme--clip-tiny", "main"))).not.toContain("pytorch_model.bin");
    } finally {
      await bad.close();
    }
  });

  it("checks regular files by their git blob sha1", async () => {
    const cfg = bytes["config.json"]!;
    const flipped = cfg.slice();
    flipped[5]! ^= 1;
    const bad = await startHubServer(REPO, {
      "config.json": { bytes: cfg, lfs: false, corruptWith: flipped },
      "pytorch_model.bin": { bytes: bytes["pytorch_model.bin"]!, lfs: true },
    });
    try {
      await expect(fetchCheckpoint({ endpoint: bad.endpoint, repo: REPO, revision: "main" }, join(tmp, "cache-sha1"))).rejects.toMatchObject({
        code: "hash_mismatch",
        file: "config.json",
        message: expect.stringContaining("git blob sha1"),
      });
    } finally {
      await bad.close();
    }
  });

  it("sends HF_TOKEN to the Hub only, not to the storage an LFS redirect points at", () => {
    const at = { endpoint: "https://hub.example", repo: REPO, revision: "main", token: "hf_x" };
    expect(authHeaders(at, "https://hub.example/acme/clip-tiny/resolve/main/config.json")).toEqual({ authorization: "Bearer hf_x" });
    expect(authHeaders(at, "https://cdn-lfs.example/abc")).toEqual({});
    expect(authHeaders({ ...at, token: undefined }, "https://hub.example/x")).toEqual({});
  });

  it("says which file is missing on a 404", async () => {
    const r = await fetchCli(hub.endpoint, ["--repo", "acme/nope", "--out", join(tmp, "models", "nope"), "--cache", join(tmp, "cache")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[not_found]: open_clip_config.json or config.json: acme/nope at revision main has neither");
    expect(existsSync(join(tmp, "models", "nope"))).toBe(false);
    const noWeights = await startHubServer(REPO, { "config.json": { bytes: bytes["config.json"]!, lfs: false } });
    try {
      await expect(fetchCheckpoint({ endpoint: noWeights.endpoint, repo: REPO, revision: "main" }, join(tmp, "cache-nw"))).rejects.toMatchObject({
        code: "not_found",
        file: "model.safetensors or pytorch_model.bin",
      });
    } finally {
      await noWeights.close();
    }
  });
});
