// An uploaded image to model input: format and size from the header (limit checked first), decode, preprocess.
import { decodeImage } from "../engine/image/decode";
import { readImageInfo } from "../engine/image/dimensions";
import { preprocess } from "../engine/image/preprocess";
import { ScratchBytes } from "../engine/image/scratch-bytes";
import type { BundleManifest } from "../engine/runtime/bundle-manifest";

export interface ModelInput {
  format: "jpeg" | "png";
  /** Size after EXIF orientation: the coordinates maps and regions are reported in. */
  width: number;
  height: number;
  /** [3, S, S] normalised pixels. */
  pixels: Float32Array;
}

/**
 * The isolate's one buffer for inflated PNG data, reused by every request (decode and preprocess run without an await
 * in between); bounded at 16 MB, beyond which a request allocates its own (and leaves it to the collector).
 */
const decodeScratch = new ScratchBytes(16 * 2 ** 20);

/** Throws ImageError (unsupported_format, corrupt_image, image_too_large) before allocating anything large. */
export function modelInput(bytes: Uint8Array, model: Pick<BundleManifest, "imageSize" | "mean" | "std">, maxPixels: number): ModelInput {
  const { format } = readImageInfo(bytes);
  const decoded = decodeImage(bytes, { maxPixels, scratch: decodeScratch });
  return { format, width: decoded.width, height: decoded.height, pixels: preprocess(decoded, model.imageSize, model.mean, model.std) };
}
