// Test images made in the test (no ../shared): a bottle-like top view with a dark scratch, as PNG bytes.
import { encode } from "fast-png";

/** A grey ring on a dark background with a small dark streak on the ring; deterministic. */
export function bottlePng(width = 320, height = 240): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  const cx = width / 2;
  const cy = height / 2;
  const r = Math.min(width, height) * 0.4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy) / r;
      let v = 40 + 20 * (y / height);
      if (d < 1) v = 120 + 100 * Math.cos(d * Math.PI * 1.5) ** 2;
      if (d < 0.35) v = 30 + 40 * d;
      const scratch = Math.abs(y - cy - 0.5 * (x - cx) - 30) < 3 && x > cx + 10 && x < cx + 50;
      if (scratch) v = 25;
      const i = (y * width + x) * 3;
      data[i] = v;
      data[i + 1] = Math.min(255, v * 0.95 + 8);
      data[i + 2] = Math.min(255, v * 0.85 + 12);
    }
  }
  return encode({ width, height, data, channels: 3, depth: 8 });
}
