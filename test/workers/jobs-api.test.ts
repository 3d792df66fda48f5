// POST /v1/jobs, GET /v1/jobs/{id} and GET /v1/webhook-secret: validation before anything is queued, tenant isolation, secrets.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { crc32 } from "../../src/engine/image/crc32";
import { jobPrefix } from "../../src/platform/r2-job-store";
import { capturingApi, jsonPost, pngBase64, receiverUrl, tenantKey } from "./jobs-helpers";

const api = capturingApi();
let acme: string;
let globex: string;

beforeAll(async () => {
  acme = await tenantKey("acme");
  globex = await tenantKey("globex");
});

async function expectError(response: Response, status: number, code: string): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  return body.error.message;
}

function postJob(key: string, fields: Record<string, unknown>): Promise<Response> {
  return api.call("/v1/jobs", key, jsonPost({ object: "bottle", image: pngBase64(), webhookUrl: receiverUrl("ok", "api"), ...fields }));
}

describe("POST /v1/jobs validation", () => {
  it.each([
    ["http://receiver.example/hook", /https/],
    ["https://127.0.0.1/hook", /IPv4/],
    ["https://10.0.0.7/hook", /IPv4/],
    ["https://169.254.169.254/latest/meta-data/", /IPv4/],
    ["https://[::1]/hook", /IPv6/],
    ["https://[fd12::1]/hook", /IPv6/],
    ["https://localhost/hook", /local/],
    ["https://hooks.internal/x", /local/],
    ["https://webhooks/x", /fully qualified/],
    ["https://rebind.example/hook", /resolves to a private.*10\.1\.2\.3/],
    ["https://v6private.example/hook", /resolves to a private.*fd00::1/],
    ["https://nowhere.example/hook", /does not resolve/],
    ["https://noaddress.example/hook", /no A or AAAA record/],
    ["not a url", /absolute/],
  ])("refuses webhookUrl %s with 400 invalid_webhook_url, queueing nothing", async (webhookUrl, reason) => {
    const before = api.sent.length;
    expect(await expectError(await postJob(acme, { webhookUrl }), 400, "invalid_webhook_url")).toMatch(reason);
    expect(api.sent.length).toBe(before);
  });

  it.each(["resolver-down", "servfail"])("answers 503 dns_unavailable when the DNS resolver cannot vouch for the host (%s), queueing nothing", async (name) => {
    const before = api.sent.length;
    const message = await expectError(await postJob(acme, { webhookUrl: `https://${name}.example/hook` }), 503, "dns_unavailable");
    expect(message).toMatch(/could not be checked now.*retry later/);
    expect(api.sent.length).toBe(before);
  });

  it("answers bad score fields with the codes of POST /v1/score", async () => {
    const before = api.sent.length;
    await expectError(await postJob(acme, { image: "this is *not* base64!" }), 400, "invalid_base64");
    await expectError(await postJob(acme, { image: btoa("GIF89a, not a PNG or JPEG") }), 415, "unsupported_format");
    await expectError(await postJob(acme, { object: "../etc" }), 400, "invalid_request");
    await expectError(await postJob(acme, { webhookUrl: undefined }), 400, "invalid_request");
    await expectError(await postJob(acme, { referenceSet: "rs_000000000000000000000000" }), 404, "reference_set_not_found");
    await expectError(await postJob(acme, { referenceSet: "" }), 400, "invalid_request");
    await expectError(
      await api.call("/v1/jobs", acme, { method: "POST", headers: { "content-type": "application/json" }, body: "{object:" }),
      400,
      "invalid_json",
    );
    await expectError(
      await api.call("/v1/jobs", acme, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }),
      415,
      "unsupported_media_type",
    );
    await expectError(await api.call("/v1/jobs", "no-such-key-0000000000", jsonPost({})), 401, "unauthorized");
    expect(api.sent.length).toBe(before);
    // Nothing was stored either.
    expect((await env.JOBS.list({ prefix: "jobs/acme/" })).objects.filter((o) => o.key.endsWith("job.json")).length).toBe(0);
  });

  it("takes multipart like POST /v1/score: the image as a file part, text fields, the same error codes", async () => {
    const png = Uint8Array.from(atob(pngBase64()), (ch) => ch.charCodeAt(0));
    const postForm = (fields: Record<string, string | Uint8Array>) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) {
        if (typeof value === "string") form.append(name, value);
        else form.append(name, new Blob([value]), `${name}.bin`);
      }
      return api.call("/v1/jobs", acme, { method: "POST", body: form });
    };
    const before = api.sent.length;
    await expectError(
      await postForm({ object: "bottle", image: new TextEncoder().encode("GIF89a, not a PNG or JPEG"), webhookUrl: receiverUrl("ok", "mp") }),
      415,
      "unsupported_format",
    );
    await expectError(await postForm({ object: "bottle", image: png }), 400, "invalid_request");
    await expectError(await postForm({ object: "bottle", image: "not a file", webhookUrl: receiverUrl("ok", "mp") }), 400, "invalid_request");
    await expectError(await postForm({ object: "bottle", image: png, webhookUrl: "http://receiver.example/hook" }), 400, "invalid_webhook_url");
    expect(api.sent.length).toBe(before);

    const response = await postForm({ object: "bottle", image: png, webhookUrl: receiverUrl("ok", "mp"), regions: "false", map: "none" });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(api.sent.at(-1)).toEqual({ tenant: "acme", jobId: id });
    const record = JSON.parse(await (await env.JOBS.get(`${jobPrefix("acme", id)}job.json`))!.text()) as { request: Record<string, unknown> };
    expect(record.request).toEqual({ object: "bottle", map: "none", regions: false, webhookUrl: receiverUrl("ok", "mp"), imageBytes: png.length });
    const image = new Uint8Array(await (await env.JOBS.get(`${jobPrefix("acme", id)}image`))!.arrayBuffer());
    expect(image).toEqual(png);
  });

  it("refuses an image over MAX_IMAGE_PIXELS from its header, before queueing", async () => {
    const header = Uint8Array.from(atob(pngBase64()), (c) => c.charCodeAt(0)).subarray(0, 33);
    const huge = new Uint8Array(header); // IHDR width/height at bytes 16..23: 4096 x 4096, then the chunk's CRC
    new DataView(huge.buffer).setUint32(16, 4096);
    new DataView(huge.buffer).setUint32(20, 4096);
    new DataView(huge.buffer).setUint32(29, crc32(huge.subarray(12, 29)));
    await expectError(await postJob(acme, { image: btoa(String.fromCharCode(...huge)) }), 413, "image_too_large");
  });
});

describe("POST /v1/jobs with ALLOW_PRIVATE_WEBHOOKS=true (local development)", () => {
  it("accepts http and loopback webhook URLs, and still refuses other schemes", async () => {
    const dev = capturingApi({ ALLOW_PRIVATE_WEBHOOKS: "true" });
    const post = (webhookUrl: string) => dev.call("/v1/jobs", acme, jsonPost({ object: "bottle", image: pngBase64(), webhookUrl }));
    expect((await post("http://127.0.0.1:8788/ok/dev")).status).toBe(202);
    expect((await post("http://localhost/ok/dev")).status).toBe(202);
    await expectError(await post("ftp://127.0.0.1/ok/dev"), 400, "invalid_webhook_url");
    expect(dev.sent).toHaveLength(2);
  });
});

describe("GET /v1/jobs/{id}", () => {
  it("shows a job to its tenant only: another tenant, an unknown or a malformed id get 404 not_found", async () => {
    const response = await postJob(acme, {});
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const own = await api.call(`/v1/jobs/${id}`, acme);
    expect(await own.json()).toMatchObject({ id, status: "queued", object: "bottle", attempts: 0, deliveries: [], webhookUrl: receiverUrl("ok", "api") });
    await expectError(await api.call(`/v1/jobs/${id}`, globex), 404, "not_found");
    await expectError(await api.call("/v1/jobs/job_ffffffffffffffffffffffffffffffff", acme), 404, "not_found");
    await expectError(await api.call(`/v1/jobs/${encodeURIComponent(`../acme/${id}`)}`, globex), 404, "not_found");
    // Stored under the owner's prefix: record, image; no result yet.
    const keys = (await env.JOBS.list({ prefix: jobPrefix("acme", id) })).objects.map((o) => o.key.slice(jobPrefix("acme", id).length));
    expect(keys.sort()).toEqual(["image", "job.json"]);
  });
});

describe("GET /v1/webhook-secret", () => {
  it("creates a whsec_ secret on first use, returns the same one afterwards, one per tenant", async () => {
    const read = async (key: string) => ((await (await api.call("/v1/webhook-secret", key)).json()) as { secret: string }).secret;
    const first = await read(globex);
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await read(globex)).toBe(first);
    expect(await read(acme)).not.toBe(first);
    const response = await api.call("/v1/webhook-secret", globex);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});
