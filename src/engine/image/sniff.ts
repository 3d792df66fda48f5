// Tells JPEG and PNG apart by their magic bytes; names common other formats in the error.
import { ImageError } from "./image-error";

export type ImageFormat = "jpeg" | "png";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

const OTHERS: Array<[string, (b: Uint8Array) => boolean]> = [
  ["GIF", (b) => ascii(b, 0, "GIF87a") || ascii(b, 0, "GIF89a")],
  ["WebP", (b) => ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")],
  ["BMP", (b) => ascii(b, 0, "BM")],
  ["TIFF", (b) => ascii(b, 0, "II*\0") || ascii(b, 0, "MM\0*")],
  ["HEIF/AVIF", (b) => ascii(b, 4, "ftyp")],
];

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

function startsWith(b: Uint8Array, sig: readonly number[]): "yes" | "prefix" | "no" {
  const n = Math.min(b.length, sig.length);
  for (let i = 0; i < n; i++) if (b[i] !== sig[i]) return "no";
  return b.length >= sig.length ? "yes" : "prefix";
}

/** The format of `bytes`; throws unsupported_format (or corrupt_image for a cut-off signature). */
export function sniffFormat(bytes: Uint8Array): ImageFormat {
  for (const [format, sig] of [
    ["png", PNG_SIGNATURE],
    ["jpeg", JPEG_SIGNATURE],
  ] as const) {
    const m = startsWith(bytes, sig);
    if (m === "yes") return format;
    if (m === "prefix" && bytes.length > 0) {
      throw new ImageError("corrupt_image", `truncated ${format.toUpperCase()} signature`);
    }
  }
  const other = OTHERS.find(([, test]) => test(bytes))?.[0];
  throw new ImageError(
    "unsupported_format",
    other ? `${other} images are not supported; send JPEG or PNG` : "not a JPEG or PNG image",
    other ? { detected: other } : {},
  );
}
