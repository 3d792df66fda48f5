// Picks and downloads the files of a CLIP checkpoint on the Hub (open_clip or Hugging Face layout) into a cache folder
// laid out like a local checkpoint directory, so model:build's reader takes it as is.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type DownloadOptions, downloadHubFile } from "./download-file";
import { FetchError } from "./fetch-error";
import { type HubFile, type HubLocation, headHubFile, headUrl } from "./hub-file";

export interface FetchedCheckpoint {
  dir: string;
  layout: "open_clip" | "hf";
  files: { name: string; bytes: number; status: "cached" | "downloaded" }[];
  /** The folder holding vocab.json + merges.txt when the repo ships them. */
  vocabDir?: string;
}

const KNOWN_FILES = [
  "open_clip_config.json",
  "open_clip_model.safetensors",
  "open_clip_pytorch_model.bin",
  "config.json",
  "model.safetensors",
  "pytorch_model.bin",
  "preprocessor_config.json",
  "vocab.json",
  "merges.txt",
];

async function firstPresent(at: HubLocation, names: string[]): Promise<HubFile | undefined> {
  for (const n of names) {
    const f = await headHubFile(at, n);
    if (f) return f;
  }
  return undefined;
}

function required(f: HubFile | undefined, names: string[], at: HubLocation): HubFile {
  if (f) return f;
  throw new FetchError("not_found", names.join(" or "), `not in ${at.repo} at revision ${at.revision}`);
}

/** Cache folder of a repo revision: {cache}/{owner}--{name}/{revision}. */
export function cacheDirOf(cache: string, at: HubLocation): string {
  return join(cache, at.repo.replace(/\//g, "--"), at.revision.replace(/[^A-Za-z0-9._-]/g, "_"));
}

export async function fetchCheckpoint(at: HubLocation, cache: string, o: DownloadOptions = {}): Promise<FetchedCheckpoint> {
  const dir = cacheDirOf(cache, at);
  const wanted: HubFile[] = [];
  let layout: FetchedCheckpoint["layout"];
  const openClipConfig = await headHubFile(at, "open_clip_config.json");
  if (openClipConfig) {
    layout = "open_clip";
    const weights = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"];
    wanted.push(openClipConfig, required(await firstPresent(at, weights), weights, at));
  } else {
    layout = "hf";
    const config = await headHubFile(at, "config.json");
    if (!config)
      throw new FetchError("not_found", "open_clip_config.json or config.json", `${at.repo} at revision ${at.revision} has neither (is the repo name right?)`);
    const weights = ["model.safetensors", "pytorch_model.bin"];
    wanted.push(config, required(await firstPresent(at, weights), weights, at));
    const pre = await headHubFile(at, "preprocessor_config.json");
    if (pre) wanted.push(pre);
  }
  const vocab = await headHubFile(at, "vocab.json");
  const merges = vocab ? await headHubFile(at, "merges.txt") : undefined;
  if (vocab && merges) wanted.push(vocab, merges);
  const files: FetchedCheckpoint["files"] = [];
  for (const f of wanted) {
    const status = await downloadHubFile(at, f, join(dir, f.name), o);
    files.push({ name: f.name, bytes: f.size ?? 0, status });
  }
  // The folder is read as a checkpoint directory: files an earlier run of this revision left that the Hub no longer
  // serves must not be picked up in place of the ones just checked.
  const chosen = new Set(wanted.map((f) => f.name));
  for (const name of KNOWN_FILES.filter((n) => !chosen.has(n))) {
    await rm(join(dir, name), { force: true });
    await rm(join(dir, `${name}.identity`), { force: true });
  }
  return { dir, layout, files, ...(vocab && merges ? { vocabDir: dir } : {}) };
}

/** An adapter given as an http(s) URL: downloaded into the cache, checked when the server announces a hash. */
export async function fetchAdapter(hub: HubLocation, url: string, cache: string, o: DownloadOptions = {}): Promise<string> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.split("/").pop() || "adapter.pth");
  const f = await headUrl(hub, name, url);
  if (!f) throw new FetchError("not_found", name, `${url} answered 404`);
  const dest = join(
    cache,
    "adapters",
    parsed.host.replace(/[^A-Za-z0-9.-]/g, "_"),
    ...parsed.pathname
      .split("/")
      .map(decodeURIComponent)
      .filter((s) => s !== "" && s !== "." && s !== ".." && !s.includes("/") && !s.includes("\\")),
  );
  await downloadHubFile(hub, f, dest, o);
  return dest;
}
