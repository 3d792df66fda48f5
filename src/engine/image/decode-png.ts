// PNG -> DecodedImage with fast-png, sample values as PIL's PNG plugin unpacks them.
//
// PIL (PngImagePlugin._MODES + Unpack.c): 2/4-bit gray is scaled by 0x55/0x11, 1-bit gray is mode
// "1" (0/255), 16-bit colour and alpha keep the high byte ("RGB;16B", "LA;16B", "RGBA;16B").
// 16-bit gray opens as "I;16" and PIL's convert("RGB") then SATURATES (values >= 256 become 255,
// Convert.c I16_RGB), which turns almost every real 16-bit photo white. We keep the high byte
// instead by default (what PIL does for every other 16-bit PNG); `gray16: "saturate"` reproduces
// PIL, which is what a 16-bit label mask needs (0/1 values survive only that way).
import { decode as decodeFastPng, type DecodedPng } from "fast-png";
import type { DecodedImage, PilMode } from "./decoded-image";
import { ImageError } from "./image-error";
import { inflatePngData } from "./png-data-check";
import { canUnfilter, type UnfilterKernel, unfilterScanlines } from "./png-unfilter";
import type { PngHeader } from "./png-header";
import type { ScratchBytes } from "./scratch-bytes";

export type Gray16Policy = "high-byte" | "saturate";

/** Unpacks rows of 1/2/4/8-bit samples (fast-png leaves sub-byte depths packed) to one byte each. */
function unpackSamples(packed: Uint8Array, width: number, height: number, depth: number, scale: number): Uint8Array {
  if (depth === 8) return packed;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)]!;
      out[y * width + x] = ((byte >> (8 - depth - (bit & 7))) & mask) * scale;
    }
  }
  return out;
}

/** 16-bit samples to 8-bit. */
function to8(data: Uint16Array, policy: Gray16Policy): Uint8Array {
  const out = new Uint8Array(data.length);
  if (policy === "saturate") for (let i = 0; i < data.length; i++) out[i] = Math.min(data[i]!, 255);
  else for (let i = 0; i < data.length; i++) out[i] = data[i]! >> 8;
  return out;
}

/** Splits interleaved colour+alpha; alpha is omitted when fully opaque (the resize is then identical). */
function splitAlpha(src: Uint8Array, n: number, channels: 1 | 3): { data: Uint8Array; alpha?: Uint8Array } {
  const bands = channels + 1;
  const data = new Uint8Array(n * channels);
  const alpha = new Uint8Array(n);
  let opaque = true;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) data[i * channels + c] = src[i * bands + c]!;
    const a = src[i * bands + channels]!;
    alpha[i] = a;
    if (a !== 255) opaque = false;
  }
  return opaque ? { data } : { data, alpha };
}

function paletteToRgb(indices: Uint8Array, palette: readonly number[][]): Uint8Array {
  const out = new Uint8Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    // Pillow's palette starts as a gray ramp, so an index past the PLTE entries reads as (v, v, v).
    const rgb = palette[v] ?? [v, v, v];
    out[i * 3] = rgb[0]!;
    out[i * 3 + 1] = rgb[1]!;
    out[i * 3 + 2] = rgb[2]!;
  }
  return out;
}

/** With `scratch`, the samples of 8-bit images may be a view of its buffer: valid until its next use. */
export function decodePng(
  bytes: Uint8Array,
  header: PngHeader,
  gray16: Gray16Policy = "high-byte",
  scratch?: ScratchBytes,
  kernel?: UnfilterKernel,
): DecodedImage {
  const raw = inflatePngData(bytes, header, scratch); // bounded: also the check before fast-png inflates
  let png: Pick<DecodedPng, "data" | "depth" | "palette">;
  if (canUnfilter(header)) {
    // The common case: one inflate (done above, bounded), then unfiltering in place; fast-png would inflate again.
    png = { data: unfilterScanlines(raw, header, kernel), depth: header.bitDepth as 8 | 16 };
  } else {
    try {
      png = decodeFastPng(bytes);
    } catch (err) {
      throw new ImageError("corrupt_image", `corrupt PNG: ${(err as Error).message}`, {}, { cause: err });
    }
  }
  const { width, height } = header;
  const n = width * height;
  const depth = png.depth;
  const samples = png.data;
  const eight = samples instanceof Uint16Array ? to8(samples, header.colorType === 0 ? gray16 : "high-byte") : (samples as Uint8Array);
  const base = { width, height };
  switch (header.colorType) {
    case 0: {
      const scale = depth === 1 ? 255 : depth === 2 ? 0x55 : depth === 4 ? 0x11 : 1;
      const mode: PilMode = depth === 1 ? "1" : "L";
      return { ...base, channels: 1, mode, data: unpackSamples(eight, width, height, Math.min(depth, 8), scale) };
    }
    case 2:
      return { ...base, channels: 3, mode: "RGB", data: eight };
    case 3: {
      const indices = unpackSamples(eight, width, height, depth, 1);
      return { ...base, channels: 3, mode: "P", data: paletteToRgb(indices, png.palette ?? []) };
    }
    case 4:
      return { ...base, channels: 1, mode: "LA", ...splitAlpha(eight, n, 1) };
    default:
      return { ...base, channels: 3, mode: "RGBA", ...splitAlpha(eight, n, 3) };
  }
}
