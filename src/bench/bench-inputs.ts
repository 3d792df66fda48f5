// Benchmark inputs: a real MVTec bottle and its good shots from ../shared when present, else generated PNGs.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { encode } from "fast-png";

export interface BenchInputs {
  image: Uint8Array;
  shots: Uint8Array[];
  object: string;
  source: string;
}

const SHARED_BOTTLE = resolve(process.cwd(), "../shared/data/mvtec/bottle");

export function loadBenchInputs(shotCount: number): BenchInputs {
  const query = join(SHARED_BOTTLE, "test/broken_large/000.png");
  if (existsSync(query)) {
    const shots = Array.from(
      { length: shotCount },
      (_, i) => new Uint8Array(readFileSync(join(SHARED_BOTTLE, `train/good/${String(i).padStart(3, "0")}.png`))),
    );
    return { image: new Uint8Array(readFileSync(query)), shots, object: "bottle", source: "MVTec AD bottle (900x900 PNG) from ../shared" };
  }
  return {
    image: syntheticPng(900, 0),
    shots: Array.from({ length: shotCount }, (_, i) => syntheticPng(900, i + 1)),
    object: "bottle",
    source: "generated 900x900 PNG (../shared not found)",
  };
}

function syntheticPng(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      data[i] = (x + seed * 17) & 255;
      data[i + 1] = (y * 2 + seed * 31) & 255;
      data[i + 2] = ((x ^ y) + seed) & 255;
    }
  }
  return encode({ width: size, height: size, data, channels: 3, depth: 8 });
}
