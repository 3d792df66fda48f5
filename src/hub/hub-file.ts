// What the Hub says about one file before it is downloaded: where to get it, its size and the hash to check it by.
// A resolve URL answers LFS files with a redirect carrying X-Linked-Etag (the sha256) and X-Linked-Size, and regular
// git files with 200 and an ETag that is the git blob sha1.
import { FetchError } from "./fetch-error";

export interface HubFile {
  name: string;
  /** Where to GET the bytes (the LFS redirect target for LFS files). */
  url: string;
  size?: number;
  /** sha256 hex for LFS files, from X-Linked-Etag. */
  sha256?: string;
  /** git blob sha1 hex for regular files, from ETag. */
  gitSha1?: string;
}

export interface HubLocation {
  endpoint: string;
  repo: string;
  revision: string;
  token?: string;
}

const MAX_REDIRECTS = 5;
/** Sizes and hashes are of the stored bytes: ask for them uncompressed (fetch would otherwise negotiate gzip). */
export const IDENTITY = { "accept-encoding": "identity" } as const;

export function resolveUrl(at: HubLocation, file: string): string {
  const path = file.split("/").map(encodeURIComponent).join("/");
  return `${at.endpoint.replace(/\/+$/, "")}/${at.repo}/resolve/${encodeURIComponent(at.revision)}/${path}`;
}

/** Authorization only towards the Hub itself, never to the storage a redirect points at. */
export function authHeaders(at: HubLocation, url: string): Record<string, string> {
  if (!at.token) return {};
  return new URL(url).origin === new URL(at.endpoint).origin ? { authorization: `Bearer ${at.token}` } : {};
}

function etagValue(raw: string | null): string | undefined {
  if (!raw) return undefined;
  return raw.replace(/^W\//, "").replace(/^"|"$/g, "");
}

function sizeOf(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** HEAD of the file's resolve URL; undefined when the Hub answers 404. */
export function headHubFile(at: HubLocation, name: string): Promise<HubFile | undefined> {
  return headUrl(at, name, resolveUrl(at, name));
}

/** HEAD of any URL, following plain redirects and stopping at an LFS one; undefined on 404. */
export async function headUrl(at: HubLocation, name: string, start: string): Promise<HubFile | undefined> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Response;
    try {
      res = await fetch(url, { method: "HEAD", redirect: "manual", headers: { ...IDENTITY, ...authHeaders(at, url) } });
    } catch (e) {
      throw new FetchError("network", name, `HEAD ${url} failed: ${(e as Error).message}`);
    }
    if (res.status === 404) return undefined;
    if (res.status === 401 || res.status === 403) {
      throw new FetchError("http_error", name, `HEAD ${url} answered ${res.status} (private or gated repo? set HF_TOKEN)`);
    }
    const linked = etagValue(res.headers.get("x-linked-etag"));
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, url).toString();
      if (linked) return { name, url: target, sha256: linked, size: sizeOf(res.headers.get("x-linked-size")) };
      url = target; // a renamed repo or revision: ask again there
      continue;
    }
    if (!res.ok) throw new FetchError("http_error", name, `HEAD ${url} answered ${res.status}`);
    if (linked) return { name, url, sha256: linked, size: sizeOf(res.headers.get("x-linked-size")) };
    const etag = etagValue(res.headers.get("etag"));
    return {
      name,
      url,
      size: sizeOf(res.headers.get("content-length")),
      ...(etag && /^[0-9a-f]{64}$/.test(etag) ? { sha256: etag } : etag && /^[0-9a-f]{40}$/.test(etag) ? { gitSha1: etag } : {}),
    };
  }
  throw new FetchError("http_error", name, `more than ${MAX_REDIRECTS} redirects from ${start}`);
}
