// The bench's node:http fetch: a multipart body and headers reach the server as fetch would send them; the answer's
// status, headers and body come back.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { longFetch } from "../../../src/bench/long-fetch";

describe("longFetch", () => {
  it("sends a FormData body with its boundary and returns status, headers and body", async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.statusCode = 201;
        res.setHeader("server-timing", "stages;dur=12, hop;dur=3");
        res.end(
          JSON.stringify({
            method: req.method,
            auth: req.headers.authorization,
            type: req.headers["content-type"],
            body: Buffer.concat(chunks).toString("latin1"),
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const form = new FormData();
      form.set("object", "bottle");
      form.set("image", new File([new Uint8Array([1, 2, 3])], "q.png", { type: "image/png" }));
      const { port } = server.address() as AddressInfo;
      const r = await longFetch(`http://127.0.0.1:${port}/v1/score`, {
        method: "POST",
        headers: { authorization: "Bearer k" },
        body: form,
        signal: AbortSignal.timeout(10_000),
      });
      expect(r.status).toBe(201);
      expect(r.headers.get("server-timing")).toBe("stages;dur=12, hop;dur=3");
      const got = (await r.json()) as { method: string; auth: string; type: string; body: string };
      expect(got.method).toBe("POST");
      expect(got.auth).toBe("Bearer k");
      const boundary = /boundary=(.+)$/.exec(got.type)![1]!;
      expect(got.body).toContain(`--${boundary}`);
      expect(got.body).toContain('name="object"\r\n\r\nbottle');
      expect(got.body).toContain("\x01\x02\x03");
    } finally {
      server.close();
    }
  });
});
