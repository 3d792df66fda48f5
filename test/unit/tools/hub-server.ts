// A local server shaped like the Hugging Face Hub's resolve endpoint: regular files with git-sha1 ETags, LFS files
// answered by a redirect carrying X-Linked-Etag / X-Linked-Size, Range requests, and transfers it can break on purpose.
import { createHash } from "node:crypto";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubServerFile {
  bytes: Uint8Array;
  lfs: boolean;
  /** Serve these bytes instead, while announcing the hash of `bytes`. */
  corruptWith?: Uint8Array;
}

export interface HubServer {
  endpoint: string;
  /** "METHOD path [range] [authorization]" of every request, in order. */
  log: string[];
  /** Files whose next full (non-Range) GET is cut after half the body. */
  breakNextTransfer: Set<string>;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const gitSha1 = (b: Uint8Array): string => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

export async function startHubServer(repo: string, files: Record<string, HubServerFile>): Promise<HubServer> {
  const log: string[] = [];
  const breakNextTransfer = new Set<string>();
  const byLfsPath = new Map(Object.entries(files).map(([name, f]) => [`/lfs/${sha256(f.bytes)}`, name]));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const range = req.headers.range;
    log.push(`${req.method} ${url.pathname}${range ? ` ${range}` : ""}${req.headers.authorization ? ` [${req.headers.authorization}]` : ""}`);
    const prefix = `/${repo}/resolve/main/`;
    if (url.pathname.startsWith(prefix)) {
      const name = decodeURIComponent(url.pathname.slice(prefix.length));
      const f = files[name];
      if (!f) {
        res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
        return;
      }
      if (f.lfs) {
        res.writeHead(302, {
          location: `/lfs/${sha256(f.bytes)}`,
          "x-linked-etag": `"${sha256(f.bytes)}"`,
          "x-linked-size": String(f.bytes.length),
          etag: `"${gitSha1(new TextEncoder().encode("version https://git-lfs.github.com/spec/v1"))}"`,
        });
        res.end();
        return;
      }
      res.writeHead(200, { etag: `"${gitSha1(f.bytes)}"`, "content-length": String(f.bytes.length) });
      res.end(req.method === "HEAD" ? undefined : (f.corruptWith ?? f.bytes));
      return;
    }
    const lfsName = byLfsPath.get(url.pathname);
    if (lfsName) {
      const f = files[lfsName]!;
      const body = f.corruptWith ?? f.bytes;
      const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
      if (m) {
        const start = Number(m[1]);
        if (start >= body.length) {
          res.writeHead(416).end();
          return;
        }
        res.writeHead(206, { "content-range": `bytes ${start}-${body.length - 1}/${body.length}`, "content-length": String(body.length - start) });
        res.end(body.subarray(start));
        return;
      }
      res.writeHead(200, { "content-length": String(body.length) });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      if (breakNextTransfer.delete(lfsName)) {
        // A graceful close (FIN after the flushed half), not a reset: a reset can discard bytes the client has not read
        // yet, and the test asserts the download resumes at or beyond the half.
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.end());
        return;
      }
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    breakNextTransfer,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
