// Ad-hoc check: decode + preprocess (and mask resize) vs the oracle's golden arrays (needs ../shared).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { decodeImage } from "../src/engine/image/decode";
import { resizeMaskBilinear } from "../src/engine/image/mask";
import { preprocess } from "../src/engine/image/preprocess";
import type { Rgb } from "../src/engine/image/preprocess";

const shared = process.argv[2] ?? join(process.cwd(), "..", "shared");
const MAX_PIXELS = 40_000_000;

function readF32(path: string): Float32Array {
  const raw = readFileSync(path);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

let worst = 0;
let maskMismatch = 0;
const pixelRows: string[] = [];
const maskRows: string[] = [];

for (const oracleCase of ["tiny-gelu-224", "tiny-quickgelu-336"]) {
  const golden = join(shared, "oracle", oracleCase, "golden");
  const manifest = JSON.parse(readFileSync(join(golden, "manifest.json"), "utf8"));
  const { image_size: size, mean, std, image_root: imageRoot } = manifest.params;
  const root = join(golden, imageRoot);
  manifest.cases.forEach((c: { image: string; mask: string | null }, n: number) => {
    const image = decodeImage(readFileSync(join(root, c.image)), { maxPixels: MAX_PIXELS });
    const t0 = performance.now();
    const ours = preprocess(image, size, mean as Rgb, std as Rgb);
    const ms = performance.now() - t0;
    const ref = readF32(join(dirname(join(golden, "manifest.json")), manifest.arrays[`case${n}/pixels`].file));
    let maxDiff = 0;
    let offByStep = 0;
    let offMore = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(ours[i]! - ref[i]!);
      maxDiff = Math.max(maxDiff, d);
      // One 8-bit step is 1 / (255 * std[c]) after normalisation.
      const step = 1 / (255 * std[Math.floor(i / (size * size))]);
      const steps = Math.round(d / step);
      if (steps === 1) offByStep++;
      else if (steps > 1) offMore++;
    }
    worst = Math.max(worst, maxDiff);
    pixelRows.push(
      `| ${oracleCase} | case${n} | ${c.image} | ${image.width}x${image.height} ${image.mode} | ${size} | ${maxDiff.toExponential(2)} | ${offByStep} | ${offMore} | ${ref.length} | ${ms.toFixed(1)} |`,
    );
    if (c.mask) {
      const mask = decodeImage(readFileSync(join(root, c.mask)), { maxPixels: MAX_PIXELS, gray16: "saturate" });
      const ourMask = resizeMaskBilinear(mask, size);
      const refMask = readF32(join(golden, manifest.arrays[`case${n}/mask`].file));
      let diff = 0;
      let ones = 0;
      for (let i = 0; i < refMask.length; i++) {
        if (ourMask[i] !== refMask[i]) diff++;
        if (refMask[i] === 1) ones++;
      }
      maskMismatch += diff;
      maskRows.push(`| ${oracleCase} | case${n} | ${c.mask} | ${size} | ${ones} | ${diff} |`);
    }
  });
}

console.log("| oracle | case | image | decoded | S | max abs diff | values off by 1 step | off by >1 step | values | preprocess ms |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
pixelRows.forEach((r) => console.log(r));
console.log("\n| oracle | case | mask | S | golden ones | mismatching pixels |");
console.log("|---|---|---|---|---|---|");
maskRows.forEach((r) => console.log(r));
const ok = worst <= 0.02 && maskMismatch === 0;
console.log(`\nworst max abs diff ${worst.toExponential(3)} (target <= 0.02); mask mismatches ${maskMismatch} -> ${ok ? "PASS" : "FAIL"}`);
process.exit(ok ? 0 : 1);
