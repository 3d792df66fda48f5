// fetch for requests that may take longer than 300 s before their headers (a cold ViT-L score, a reference set through
// dozens of stage Workers): Node's fetch (undici) gives up after 300 s of headers whatever its signal says, node:http
// waits as long as the signal allows.
import { request } from "node:http";

/** A Response for `url` (http only), bounded by `init.signal` alone. */
export async function longFetch(url: string, init: RequestInit): Promise<Response> {
  // Request encodes the body (a FormData gets its multipart bytes and content-type boundary) exactly as fetch would.
  const encoded = new Request(url, init);
  const body = init.body === undefined ? undefined : Buffer.from(await encoded.arrayBuffer());
  const headers: Record<string, string> = {};
  encoded.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (body) headers["content-length"] = String(body.length);
  return new Promise<Response>((resolve, reject) => {
    const req = request(url, { method: encoded.method, headers, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) for (const v of Array.isArray(value) ? value : [value]) h.append(name, v);
        }
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: h }));
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
