// Our multipart/form-data parser against the platform's (undici's Request.formData) on bodies FormData serialises,
// real PNGs from ../shared included; file parts are views of the body, not copies; malformed bodies are refused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MultipartError, multipartBoundary, parseMultipart, UploadedFile } from "../../../src/service/multipart";

const DATA = join(__dirname, "../../../../shared/data");
const png = (path: string) => new Uint8Array(readFileSync(join(DATA, path)));

async function serialise(form: FormData): Promise<{ body: Uint8Array; contentType: string }> {
  const request = new Request("http://x/", { method: "POST", body: form });
  return { body: new Uint8Array(await request.arrayBuffer()), contentType: request.headers.get("content-type")! };
}

/** [name, value] or [name, filename, type, base64 bytes] per part. */
type Summary = string[][];

async function platformParts(body: Uint8Array, contentType: string): Promise<Summary> {
  const request = new Request("http://x/", { method: "POST", body: body as Uint8Array<ArrayBuffer>, headers: { "content-type": contentType } });
  const form = (await request.formData()) as unknown as Iterable<[string, string | File]>;
  const out: Summary = [];
  for (const [name, value] of form) {
    out.push(typeof value === "string" ? [name, value] : [name, value.name, value.type, Buffer.from(await value.arrayBuffer()).toString("base64")]);
  }
  return out;
}

function ours(body: Uint8Array, contentType: string): Summary {
  return parseMultipart(body, multipartBoundary(contentType)!).map(([name, v]) =>
    typeof v === "string" ? [name, v] : [name, v.name, v.type, Buffer.from(v.bytes).toString("base64")],
  );
}

describe("parseMultipart", () => {
  it("reads what FormData sends as the platform does: fields, repeated names, files (real PNGs), empty and unicode values", async () => {
    const form = new FormData();
    form.append("object", "bottle");
    form.append("image", new File([png("mvtec/bottle/test/good/000.png")], "000.png", { type: "image/png" }));
    form.append("images[]", new File([png("mvtec/bottle/train/good/000.png")], "a b.png", { type: "image/png" }));
    form.append("images[]", new File([new Uint8Array(0)], "empty.bin"));
    form.append("regions", "false");
    form.append("note", "");
    form.append("name", "Flasche – grün ✓\r\nzweite Zeile");
    const { body, contentType } = await serialise(form);
    const theirs = await platformParts(body, contentType);
    const summary = (parts: ReturnType<typeof ours>) =>
      parts.map(([n, v]) =>
        typeof v === "string" ? [n, v] : [n, (v as { name: string }).name, (v as { type: string }).type, (v as { bytes: Buffer }).bytes.toString("base64")],
      );
    expect(summary(ours(body, contentType))).toEqual(summary(theirs));
    expect(theirs.length).toBe(7);
  });

  it("file parts are views of the body (no copy)", async () => {
    const form = new FormData();
    const image = png("mvtec/bottle/test/good/001.png");
    form.append("image", new File([image], "x.png", { type: "image/png" }));
    const { body, contentType } = await serialise(form);
    const [[name, file]] = parseMultipart(body, multipartBoundary(contentType)!) as [[string, UploadedFile]];
    expect(name).toBe("image");
    expect(file).toBeInstanceOf(UploadedFile);
    expect(file.bytes.buffer).toBe(body.buffer);
    expect(file.size).toBe(image.length);
    expect(Buffer.from(file.bytes).equals(Buffer.from(image))).toBe(true);
  });

  it("handles a preamble, an epilogue, transport padding, a quoted boundary and a part with no headers' extras", () => {
    const text = [
      "preamble text",
      "--b0 \t",
      'Content-Disposition: form-data; name="object"',
      "",
      "bottle",
      "--b0",
      'Content-Disposition: form-data; name="image"; filename="x.png"',
      "Content-Type: image/png",
      "",
      "\r\n--b1 is another boundary, --b0 inside a line is data",
      "--b0--",
      "epilogue",
    ].join("\r\n");
    const parts = parseMultipart(new TextEncoder().encode(text), multipartBoundary('multipart/form-data; boundary="b0"')!);
    expect(parts.map(([n, v]) => [n, typeof v === "string" ? v : new TextDecoder().decode(v.bytes)])).toEqual([
      ["object", "bottle"],
      ["image", "\r\n--b1 is another boundary, --b0 inside a line is data"],
    ]);
  });

  it("refuses malformed bodies with MultipartError", () => {
    const bad = [
      "--xyz\r\ngarbage",
      "no boundary at all",
      '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue without a closing boundary',
      "--xyz\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--xyz--",
      '--xyz\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--xyz--',
      "--xyz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xyz--",
      '--xyzjunk\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--xyz--',
      "",
    ];
    for (const text of bad) expect(() => parseMultipart(new TextEncoder().encode(text), "xyz"), text).toThrow(MultipartError);
    expect(multipartBoundary("multipart/form-data")).toBeUndefined();
    expect(multipartBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeUndefined();
    expect(multipartBoundary("multipart/form-data; charset=utf-8; boundary=abc")).toBe("abc");
  });
});
