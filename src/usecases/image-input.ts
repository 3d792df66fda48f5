// An uploaded image to model input: format and size from the header (limit checked first), decode, preprocess.
import { decodeImage } from "../engine/image/decode";
import { readImageInfo } from "../engine/image/dimensions";
import { preprocess } from "../engine/image/preprocess";
import type { ImageKernel } from "../engine/image/image-kernel";
import { ScratchBytes } from "../engine/image/scratch-bytes";
import type { BundleManifest } from "../engine/runtime/bundle-manifest";
import { BytePool } from "../shared/byte-pool";

export interface ModelInput {
  format: "jpeg" | "png";
  /** Size after EXIF orientation: the coordinates maps and regions are reported in. */
  width: number;
  height: number;
  /** [3, S, S] normalised pixels: a pooled buffer, valid until `release()`. */
  pixels: Float32Array;
  /** Gives the pixel buffer back for reuse once the model has run (once; without it the buffer is just collected). */
  release(): void;
}

/**
 * The isolate's one buffer for inflated PNG data, reused by every request (decode and preprocess run without an await
 * in between); bounded at 16 MB, beyond which a request allocates its own (and leaves it to the collector).
 */
const decodeScratch = new ScratchBytes(16 * 2 ** 20);
/** The resize's two passes, reused the same way (a few hundred kB each for the usual sizes). */
const resizeScratch = { horizontal: new ScratchBytes(16 * 2 ** 20), vertical: new ScratchBytes(4 * 2 ** 20) };
/**
 * Pixel buffers live across the model's await, so they are checked out rather than shared: a job can be scored while
 * an HTTP request waits for its run. 4 MB of free buffers are kept (0.6 MB each at S = 224).
 */
const pixelPool = new BytePool(4 * 2 ** 20);

/** `kernel`: the SIMD kernel of the unfiltering and the resize (same pixels). Throws ImageError (unsupported_format, corrupt_image, image_too_large) before allocating anything large. */
export function modelInput(bytes: Uint8Array, model: Pick<BundleManifest, "imageSize" | "mean" | "std">, maxPixels: number, kernel?: ImageKernel): ModelInput {
  const { format } = readImageInfo(bytes);
  const decoded = decodeImage(bytes, { maxPixels, scratch: decodeScratch, kernel });
  const values = 3 * model.imageSize * model.imageSize;
  const lease = pixelPool.checkout(values * 4);
  const out = new Float32Array(lease.buffer, 0, values);
  try {
    const pixels = preprocess(decoded, model.imageSize, model.mean, model.std, { scratch: resizeScratch, out, kernel });
    return { format, width: decoded.width, height: decoded.height, pixels, release: lease.release };
  } catch (err) {
    lease.release();
    throw err;
  }
}
