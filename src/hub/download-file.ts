// Downloads one Hub file into the cache: resumes a partial file with Range, retries broken transfers, checks size
// and hash, and only then renames `.part` to the final name. A file that fails its check is deleted, never kept.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { FetchError } from "./fetch-error";
import { authHeaders, type HubFile, type HubLocation, IDENTITY } from "./hub-file";

export interface DownloadProgress {
  file: string;
  received: number;
  total?: number;
  /** Bytes that were already on disk when this transfer started (resumed). */
  resumedFrom: number;
}

export interface DownloadOptions {
  onProgress?: (p: DownloadProgress) => void;
  /** Attempts after a broken transfer, each resuming where the last stopped (default 3). */
  retries?: number;
}

async function sizeOnDisk(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => -1,
  );
}

async function fileHash(path: string, algorithm: "sha256" | "sha1", size: number): Promise<string> {
  const h = createHash(algorithm);
  if (algorithm === "sha1") h.update(`blob ${size}\0`); // git's blob hash
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** The identity the cache keeps beside a file, to skip a download when the Hub still announces the same file. */
function identity(f: HubFile): string {
  return `${f.sha256 ?? f.gitSha1 ?? "no-hash"} ${f.size ?? "no-size"}`;
}

async function verify(f: HubFile, path: string): Promise<void> {
  const size = await sizeOnDisk(path);
  if (f.size !== undefined && size !== f.size) throw new FetchError("size_mismatch", f.name, `downloaded ${size} bytes, the Hub announced ${f.size}`);
  if (f.sha256) {
    const got = await fileHash(path, "sha256", size);
    if (got !== f.sha256) throw new FetchError("hash_mismatch", f.name, `sha256 ${got} differs from the Hub's X-Linked-Etag/ETag ${f.sha256}`);
  } else if (f.gitSha1) {
    const got = await fileHash(path, "sha1", size);
    if (got !== f.gitSha1) throw new FetchError("hash_mismatch", f.name, `git blob sha1 ${got} differs from the Hub's ETag ${f.gitSha1}`);
  }
}

/** One GET from `have` bytes on; returns when the body ended (true) or broke (false). */
async function transfer(at: HubLocation, f: HubFile, part: string, o: DownloadOptions): Promise<boolean> {
  let have = Math.max(0, await sizeOnDisk(part));
  if (f.size !== undefined && have > f.size) have = 0;
  const headers: Record<string, string> = { ...IDENTITY, ...authHeaders(at, f.url), ...(have > 0 ? { range: `bytes=${have}-` } : {}) };
  let res: Response;
  try {
    res = await fetch(f.url, { headers });
  } catch {
    return false;
  }
  if (res.status === 416 && have > 0) {
    await rm(part, { force: true });
    return false;
  }
  if (res.status === 404) throw new FetchError("not_found", f.name, `GET ${f.url} answered 404`);
  if (res.status !== 200 && res.status !== 206) throw new FetchError("http_error", f.name, `GET ${f.url} answered ${res.status}`);
  const resumed = res.status === 206;
  if (resumed && !res.headers.get("content-range")?.startsWith(`bytes ${have}-`)) {
    throw new FetchError("http_error", f.name, `asked for bytes ${have}- but got Content-Range ${res.headers.get("content-range")}`);
  }
  const from = resumed ? have : 0;
  const fh = await open(part, resumed ? "a" : "w");
  let received = from;
  try {
    if (!res.body) return true;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      await fh.write(chunk);
      received += chunk.byteLength;
      o.onProgress?.({ file: f.name, received, total: f.size, resumedFrom: from });
    }
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/** Downloads `f` to `dest` (via `dest.part`), unless `dest` already holds the file the Hub announces. */
export async function downloadHubFile(at: HubLocation, f: HubFile, dest: string, o: DownloadOptions = {}): Promise<"cached" | "downloaded"> {
  const stamp = `${dest}.identity`;
  if ((await sizeOnDisk(dest)) >= 0 && (await readFile(stamp, "utf8").catch(() => "")) === identity(f)) return "cached";
  await mkdir(dirname(dest), { recursive: true });
  await rm(dest, { force: true });
  const part = `${dest}.part`;
  const attempts = 1 + (o.retries ?? 3);
  let complete = false;
  for (let i = 0; i < attempts && !complete; i++) {
    complete = await transfer(at, f, part, o);
    if (complete && f.size !== undefined && (await sizeOnDisk(part)) < f.size) complete = false; // closed early
  }
  if (!complete)
    throw new FetchError("network", f.name, `transfer from ${f.url} broke ${attempts} times; run again to resume from ${await sizeOnDisk(part)} bytes`);
  try {
    await verify(f, part);
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  }
  await rename(part, dest);
  await writeFile(stamp, identity(f));
  return "downloaded";
}
