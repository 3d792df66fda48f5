// 2-D Perlin gradient noise on a pixel grid, from a seeded PRNG (the mask shapes of synthetic defects, as in DRAEM).
import type { Rng } from "./prng";

const fade = (t: number): number => t * t * t * (t * (t * 6 - 15) + 10);

/**
 * Noise [height * width], row-major, roughly in [-0.7, 0.7]: `periodsX` x `periodsY` lattice cells across the
 * image, a random unit gradient at every lattice point, quintic interpolation of the corner dot products.
 */
export function perlinNoise(width: number, height: number, periodsX: number, periodsY: number, rng: Rng): Float32Array {
  const gx = new Float64Array((periodsX + 1) * (periodsY + 1));
  const gy = new Float64Array(gx.length);
  for (let i = 0; i < gx.length; i++) {
    const a = 2 * Math.PI * rng.next();
    gx[i] = Math.cos(a);
    gy[i] = Math.sin(a);
  }
  const stride = periodsX + 1;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const v = ((y + 0.5) / height) * periodsY;
    const cy = Math.min(Math.floor(v), periodsY - 1);
    const fy = v - cy;
    const sy = fade(fy);
    for (let x = 0; x < width; x++) {
      const u = ((x + 0.5) / width) * periodsX;
      const cx = Math.min(Math.floor(u), periodsX - 1);
      const fx = u - cx;
      const i00 = cy * stride + cx;
      const i01 = i00 + 1;
      const i10 = i00 + stride;
      const i11 = i10 + 1;
      const n00 = gx[i00]! * fx + gy[i00]! * fy;
      const n01 = gx[i01]! * (fx - 1) + gy[i01]! * fy;
      const n10 = gx[i10]! * fx + gy[i10]! * (fy - 1);
      const n11 = gx[i11]! * (fx - 1) + gy[i11]! * (fy - 1);
      const sx = fade(fx);
      const top = n00 + sx * (n01 - n00);
      const bottom = n10 + sx * (n11 - n10);
      out[y * width + x] = top + sy * (bottom - top);
    }
  }
  return out;
}
