// Past its exact budget the pixel store switches to histograms: memory stops growing, metrics stay close to exact.
import { describe, expect, it } from "vitest";
import { PixelScoreStore } from "../../../src/metrics/pixel-store";

const W = 32;
const H = 24;

/** A map in [0, 1] with a brighter blob where the mask is set (masks on every other image), seeded. */
function sample(i: number): { map: Float32Array; mask: Uint8Array | null } {
  let s = (i + 1) * 2654435761;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const map = new Float32Array(W * H);
  const defect = i % 2 === 1;
  const mask = defect ? new Uint8Array(W * H) : null;
  const cx = 4 + Math.floor(rnd() * (W - 8));
  const cy = 4 + Math.floor(rnd() * (H - 8));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inside = defect && Math.abs(x - cx) < 3 && Math.abs(y - cy) < 3;
      if (inside) mask![y * W + x] = 1;
      map[y * W + x] = Math.min(1, 0.6 * rnd() + (inside ? 0.35 * rnd() + 0.1 : 0));
    }
  }
  return { map, mask };
}

function fill(store: PixelScoreStore, images: number): void {
  for (let i = 0; i < images; i++) {
    const { map, mask } = sample(i);
    store.add(map, mask);
  }
}

describe("PixelScoreStore past its exact budget", () => {
  it("gives metrics within a few thousandths of the exact ones", () => {
    const exact = new PixelScoreStore(W, H, 60);
    fill(exact, 60);
    const binned = new PixelScoreStore(W, H, 60, { exactPixels: 10 * W * H, range: [0, 1] });
    fill(binned, 60);
    expect(exact.exact).toBe(true);
    expect(binned.exact).toBe(false);
    const a = exact.metrics();
    const b = binned.metrics();
    expect(b.pixels).toBe(a.pixels);
    expect(b.positives).toBe(a.positives);
    expect(Math.abs(b.auroc - a.auroc)).toBeLessThan(1e-3);
    expect(Math.abs(b.ap - a.ap)).toBeLessThan(2e-3);
    expect(Math.abs(b.f1Max - a.f1Max)).toBeLessThan(2e-3);
    expect(Math.abs(b.aupro - a.aupro)).toBeLessThan(1e-2);
    expect(a.auroc).toBeGreaterThan(0.6); // the blobs are separable: a metric that could be wrong
  });

  it("stops growing: the memory after the switch does not depend on the number of images", () => {
    const store = new PixelScoreStore(W, H, 8, { exactPixels: 4 * W * H, range: [0, 1] });
    fill(store, 10);
    const first = store.bytes;
    for (let i = 10; i < 400; i += 2) store.add(sample(i).map, null); // normal images add no regions
    expect(store.bytes).toBe(first);
    expect(first).toBeLessThan(3 * 2 ** 20);
  });

  it("stays exact without a range, whatever the budget", () => {
    const store = new PixelScoreStore(W, H, 4, { exactPixels: 2 * W * H });
    fill(store, 12);
    expect(store.exact).toBe(true);
    expect(store.bytes).toBeGreaterThanOrEqual(12 * W * H * 4);
  });
});
