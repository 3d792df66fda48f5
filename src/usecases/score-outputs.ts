// What a score response shows of a map: a grayscale PNG (upload's or model's coordinates) and anomalous regions.
import { encodeResizedMapPng, type MapPngKernel } from "../engine/anomaly/map-png-stream";
import { findRegions, rescaleRegions, type Region } from "../engine/anomaly/regions";
import { Base64Bytes } from "../shared/base64";

/** The map PNG has the upload's aspect ratio and size, but its longer side is capped here. */
export const MAP_MAX_SIDE = 1024;
/** The strongest regions returned; a noisy map (e.g. a random model's) can have hundreds. */
export const MAX_REGIONS = 32;

export interface MapOutput {
  format: "png";
  width: number;
  height: number;
  /** The map value that is white in the PNG (pixel = round(255 * clamp(value / max, 0, 1))). */
  max: number;
  /** The PNG; base64 in JSON. */
  data: Base64Bytes;
}

export type MapResolution = "image" | "model";

export function mapSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAP_MAX_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** `map` is the model's [size, size] map of the whole (squashed) image; max is its maximum; `kernel`: the SIMD scanlines (same bytes). */
export async function renderMap(
  map: Float32Array,
  size: number,
  max: number,
  image: { width: number; height: number },
  resolution: MapResolution,
  kernel?: MapPngKernel,
): Promise<MapOutput> {
  const out = resolution === "model" ? { width: size, height: size } : mapSize(image.width, image.height);
  return { format: "png", ...out, max, data: new Base64Bytes(encodeResizedMapPng(map, size, out.width, out.height, max, kernel)) };
}

/** 8-connected components of map >= threshold at model resolution, boxes in the upload's pixel coordinates. */
export function mapRegions(map: Float32Array, size: number, threshold: number, image: { width: number; height: number }): Region[] {
  return rescaleRegions(findRegions(map, size, size, threshold).slice(0, MAX_REGIONS), size, image.width, image.height);
}
