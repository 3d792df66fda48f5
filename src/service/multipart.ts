// multipart/form-data (RFC 7578) parsed from a body already in memory: file parts are views of the body, not copies.

/** A file part (one with a filename): its bytes are a view of the request body, valid while the body is. */
export class UploadedFile {
  constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
    readonly type: string,
  ) {}

  get size(): number {
    return this.bytes.byteLength;
  }
}

export type FormValue = string | UploadedFile;

export class MultipartError extends Error {}

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 70 ? boundary : undefined;
}

const CR = 13;
const LF = 10;
const DASH = 45;
const decoder = new TextDecoder();

/** Index of `needle` in `hay` at or after `from`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  const last = hay.length - needle.length;
  outer: for (let i = hay.indexOf(first, from); i !== -1 && i <= last; i = hay.indexOf(first, i + 1)) {
    for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** Parameters of a Content-Disposition value (name, filename), quoted strings unescaped. */
function dispositionParams(value: string): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  const type = value.split(";", 1)[0]!.trim().toLowerCase();
  for (let m = re.exec(value); m; m = re.exec(value)) {
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!.trim());
  }
  return { type, params };
}

/**
 * The parts of a multipart/form-data body, in order: [name, value] with strings for fields and UploadedFile (a view of
 * `body`) for parts that carry a filename. Throws MultipartError when the body is not well-formed multipart.
 */
export function parseMultipart(body: Uint8Array, boundary: string): [string, FormValue][] {
  const dashBoundary = new TextEncoder().encode(`--${boundary}`);
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  const headerEnd = Uint8Array.of(CR, LF, CR, LF);
  // The first boundary starts the body or follows a preamble (which ends with CRLF).
  let at = 0;
  if (indexOf(body.subarray(0, dashBoundary.length), dashBoundary, 0) !== 0) {
    const first = indexOf(body, delimiter, 0);
    if (first < 0) throw new MultipartError("no boundary found");
    at = first + 2;
  }
  const parts: [string, FormValue][] = [];
  for (;;) {
    at += dashBoundary.length;
    if (body[at] === DASH && body[at + 1] === DASH) return parts; // the close delimiter; the epilogue is ignored
    // Transport padding (spaces, tabs) may follow a boundary before its CRLF.
    while (body[at] === 32 || body[at] === 9) at++;
    if (body[at] !== CR || body[at + 1] !== LF) throw new MultipartError("malformed boundary line");
    at += 2;
    const headersEnd = indexOf(body, headerEnd, at);
    // A part with no headers at all starts right with the blank line.
    const noHeaders = body[at] === CR && body[at + 1] === LF;
    if (!noHeaders && headersEnd < 0) throw new MultipartError("part headers not terminated");
    const dataStart = noHeaders ? at + 2 : headersEnd + 4;
    const headers = noHeaders ? "" : decoder.decode(body.subarray(at, headersEnd));
    const dataEnd = indexOf(body, delimiter, dataStart);
    if (dataEnd < 0) throw new MultipartError("part not terminated by a boundary");
    let disposition: string | undefined;
    let contentType = "";
    for (const line of headers.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new MultipartError("malformed part header");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-disposition") disposition = value;
      else if (name === "content-type") contentType = value;
    }
    if (disposition === undefined) throw new MultipartError("part without Content-Disposition");
    const { type, params } = dispositionParams(disposition);
    const name = params.get("name");
    if (type !== "form-data" || name === undefined) throw new MultipartError("part is not form-data with a name");
    const data = body.subarray(dataStart, dataEnd);
    const filename = params.get("filename");
    parts.push([name, filename !== undefined ? new UploadedFile(data, filename, contentType) : decoder.decode(data)]);
    at = dataEnd + 2; // at the "--" of the next boundary
  }
}
