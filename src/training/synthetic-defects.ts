// Synthetic defects on normal images (before preprocessing): Perlin-shaped texture patches, cut-paste, scratches.
//
// Pure: decoded 8-bit images in, a new image and its mask out, driven only by the given PRNG. The mask is exactly
// the set of pixels whose value changed (a drawn pixel that happens to keep its colour is not labelled).
import { perlinNoise } from "./perlin-noise";
import type { Rng } from "./prng";

export interface RasterImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** row-major, channels interleaved, 8 bits per sample */
  readonly data: Uint8Array;
}

export type DefectKind = "perlin" | "cutpaste" | "scratch";
export const DEFECT_KINDS: readonly DefectKind[] = ["perlin", "cutpaste", "scratch"];

export interface SyntheticDefect {
  image: RasterImage;
  /** 0/1 [height * width]: 1 exactly where `image` differs from the input. */
  mask: Uint8Array;
  kind: DefectKind;
}

/** Smallest changed area accepted, as a fraction of the image (smaller ones vanish at the training resolution). */
const MIN_AREA = 0.001;
const MAX_ATTEMPTS = 32;

/**
 * One defect of `kind` (default: chosen at random) on `target`; `texture` (another image, any size) supplies the
 * foreign material of Perlin and some cut-paste defects.
 */
export function synthesizeDefect(target: RasterImage, texture: RasterImage, rng: Rng, kind?: DefectKind): SyntheticDefect {
  const { width, height, channels } = target;
  if (target.data.length !== width * height * channels) throw new RangeError("target data does not match its size");
  if (texture.data.length !== texture.width * texture.height * texture.channels) throw new RangeError("texture data does not match its size");
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const k = kind ?? DEFECT_KINDS[rng.int(DEFECT_KINDS.length)]!;
    const data = Uint8Array.from(target.data);
    const region =
      k === "perlin" ? paintPerlin(target, texture, data, rng) : k === "cutpaste" ? paintCutPaste(target, texture, data, rng) : paintScratch(target, data, rng);
    const mask = new Uint8Array(width * height);
    let changed = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!region[i]) continue;
      for (let c = 0; c < channels; c++) {
        if (data[i * channels + c] !== target.data[i * channels + c]) {
          mask[i] = 1;
          changed++;
          break;
        }
      }
    }
    if (changed >= Math.max(1, MIN_AREA * width * height)) return { image: { width, height, channels, data }, mask, kind: k };
  }
  throw new Error(`could not place a visible ${kind ?? "synthetic"} defect on a ${width}x${height} image in ${MAX_ATTEMPTS} attempts`);
}

/** Sample (x, y) of `img` (wrapping) as `channels` values; grey <-> colour converted. */
function sampler(img: RasterImage, channels: 1 | 3): (x: number, y: number, c: number) => number {
  const { width: w, height: h, data } = img;
  const at = (x: number, y: number) => ((((y % h) + h) % h) * w + (((x % w) + w) % w)) * img.channels;
  if (img.channels === channels) return (x, y, c) => data[at(x, y) + c]!;
  if (img.channels === 1) return (x, y) => data[at(x, y)]!;
  return (x, y) => {
    const i = at(x, y);
    return (data[i]! * 299 + data[i + 1]! * 587 + data[i + 2]! * 114) / 1000;
  };
}

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Blends `value(x, y, c)` over `data` with opacity `alpha` where region is set. */
function blend(img: RasterImage, data: Uint8Array, region: Uint8Array, alpha: number, value: (x: number, y: number, c: number) => number): void {
  const { width, channels } = img;
  for (let i = 0; i < region.length; i++) {
    if (!region[i]) continue;
    const x = i % width;
    const y = (i - x) / width;
    for (let c = 0; c < channels; c++) {
      const o = i * channels + c;
      data[o] = clamp8((1 - alpha) * data[o]! + alpha * value(x, y, c));
    }
  }
}

/** A thresholded Perlin blob region (0/1) covering a plausible share of the image. */
function perlinRegion(width: number, height: number, rng: Rng): Uint8Array {
  const region = new Uint8Array(width * height);
  for (let tries = 0; tries < 8; tries++) {
    const px = 2 ** (1 + rng.int(5));
    const py = 2 ** (1 + rng.int(5));
    const noise = perlinNoise(width, height, px, py, rng);
    const threshold = rng.uniform(0.3, 0.55);
    let area = 0;
    for (let i = 0; i < region.length; i++) {
      region[i] = noise[i]! > threshold ? 1 : 0;
      area += region[i]!;
    }
    if (area >= MIN_AREA * region.length && area <= 0.3 * region.length) return region;
  }
  return region;
}

function paintPerlin(img: RasterImage, texture: RasterImage, data: Uint8Array, rng: Rng): Uint8Array {
  const region = perlinRegion(img.width, img.height, rng);
  const tex = sampler(texture, img.channels);
  const ox = rng.int(texture.width);
  const oy = rng.int(texture.height);
  const flipX = rng.next() < 0.5;
  const flipY = rng.next() < 0.5;
  const gain = rng.uniform(0.6, 1.4);
  const alpha = rng.uniform(0.5, 1);
  blend(img, data, region, alpha, (x, y, c) => gain * tex(ox + (flipX ? -x : x), oy + (flipY ? -y : y), c));
  return region;
}

function paintCutPaste(img: RasterImage, texture: RasterImage, data: Uint8Array, rng: Rng): Uint8Array {
  const { width, height } = img;
  const fromTexture = rng.next() < 0.3;
  const src = fromTexture ? texture : img;
  const scar = rng.next() < 0.3;
  const pw = Math.max(2, Math.round(width * (scar ? rng.uniform(0.01, 0.04) : rng.uniform(0.05, 0.25))));
  const ph = Math.max(2, Math.round(height * (scar ? rng.uniform(0.1, 0.3) : rng.uniform(0.05, 0.25))));
  const [w, h] = rng.next() < 0.5 ? [pw, ph] : [ph, pw];
  const cw = Math.min(w, width);
  const ch = Math.min(h, height);
  const sx = rng.int(Math.max(1, src.width - cw + 1));
  const sy = rng.int(Math.max(1, src.height - ch + 1));
  const dx = rng.int(width - cw + 1);
  const dy = rng.int(height - ch + 1);
  const flipX = rng.next() < 0.5;
  const flipY = rng.next() < 0.5;
  const gain = rng.uniform(0.8, 1.2);
  const read = sampler(src, img.channels);
  // The patch is read from a copy so a source overlapping the destination is not read after being written.
  const original = data.slice();
  const readSrc = fromTexture ? read : (x: number, y: number, c: number) => original[(y * width + x) * img.channels + c]!;
  const region = new Uint8Array(width * height);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) region[(dy + y) * width + dx + x] = 1;
  blend(img, data, region, 1, (x, y, c) => {
    const u = x - dx;
    const v = y - dy;
    return gain * readSrc(sx + (flipX ? cw - 1 - u : u), sy + (flipY ? ch - 1 - v : v), c);
  });
  return region;
}

function paintScratch(img: RasterImage, data: Uint8Array, rng: Rng): Uint8Array {
  const { width, height, channels } = img;
  const side = Math.min(width, height);
  const region = new Uint8Array(width * height);
  const length = side * rng.uniform(0.1, 0.5);
  const radius = Math.max(0.75, side * rng.uniform(0.001, 0.005));
  const x0 = rng.uniform(0, width);
  const y0 = rng.uniform(0, height);
  const angle = rng.uniform(0, 2 * Math.PI);
  const x2 = x0 + length * Math.cos(angle);
  const y2 = y0 + length * Math.sin(angle);
  const bend = rng.uniform(-0.3, 0.3) * length;
  const x1 = (x0 + x2) / 2 - bend * Math.sin(angle);
  const y1 = (y0 + y2) / 2 + bend * Math.cos(angle);
  const steps = Math.ceil(length * 2) + 1;
  const r = Math.ceil(radius);
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    const cx = (1 - t) * (1 - t) * x0 + 2 * (1 - t) * t * x1 + t * t * x2;
    const cy = (1 - t) * (1 - t) * y0 + 2 * (1 - t) * t * y1 + t * t * y2;
    for (let y = Math.floor(cy) - r; y <= Math.floor(cy) + r; y++) {
      if (y < 0 || y >= height) continue;
      for (let x = Math.floor(cx) - r; x <= Math.floor(cx) + r; x++) {
        if (x < 0 || x >= width) continue;
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius * radius) region[y * width + x] = 1;
      }
    }
  }
  const bright = rng.next() < 0.5;
  const base = bright ? rng.uniform(190, 255) : rng.uniform(0, 60);
  const tint = Array.from({ length: channels }, () => base + rng.uniform(-15, 15));
  blend(img, data, region, rng.uniform(0.7, 1), (_x, _y, c) => tint[c]!);
  return region;
}
