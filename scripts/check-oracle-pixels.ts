// Ad-hoc check: decode + preprocess (and mask resize) vs the oracle's golden arrays (needs ../shared).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import jpegJs from "jpeg-js";
import { decodeImage } from "../src/engine/image/decode";
import type { DecodedImage } from "../src/engine/image/decoded-image";
import { decodeJpegPixels } from "../src/engine/image/jpeg/decoder";
import { resizeMaskBilinear } from "../src/engine/image/mask";
import { preprocess } from "../src/engine/image/preprocess";
import type { Rgb } from "../src/engine/image/preprocess";

const shared = process.argv[2] ?? join(process.cwd(), "..", "shared");
const MAX_PIXELS = 40_000_000;

function readF32(path: string): Float32Array {
  const raw = readFileSync(path);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** The same file through jpeg-js (the decoder we replaced), for comparison. */
function viaJpegJs(bytes: Uint8Array, gray: boolean): DecodedImage {
  const d = jpegJs.decode(bytes, { useTArray: true, formatAsRGBA: false });
  if (!gray) return { width: d.width, height: d.height, channels: 3, mode: "RGB", data: d.data };
  const data = new Uint8Array(d.width * d.height);
  for (let i = 0; i < data.length; i++) data[i] = d.data[i * 3]!;
  return { width: d.width, height: d.height, channels: 1, mode: "L", data };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
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
    const bytes = new Uint8Array(readFileSync(join(root, c.image)));
    const image = decodeImage(bytes, { maxPixels: MAX_PIXELS });
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
    const jsDiff = c.image.endsWith(".jpg")
      ? maxAbsDiff(preprocess(viaJpegJs(bytes, image.channels === 1), size, mean as Rgb, std as Rgb), ref).toExponential(2)
      : "-";
    pixelRows.push(
      `| ${oracleCase} | case${n} | ${c.image} | ${image.width}x${image.height} ${image.mode} | ${size} | ${maxDiff.toExponential(2)} | ${offByStep} | ${offMore} | ${ref.length} | ${ms.toFixed(1)} | ${jsDiff} |`,
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

console.log("| oracle | case | image | decoded | S | max abs diff | values off by 1 step | off by >1 step | values | preprocess ms | jpeg-js instead: max abs diff |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
pixelRows.forEach((r) => console.log(r));
console.log("\n| oracle | case | mask | S | golden ones | mismatching pixels |");
console.log("|---|---|---|---|---|---|");
maskRows.forEach((r) => console.log(r));
// Colour/progressive JPEG has no oracle case: compare the decoder with libjpeg-turbo through sharp
// (libvips + mozjpeg's decoder = libjpeg-turbo's), when sharp happens to be installed.
let jpegMismatch = 0;
try {
  const sharp = (await import("sharp")).default;
  const src = readFileSync(join(shared, "data/mvtec/bottle/test/broken_large/000.png"));
  console.log("\n| JPEG re-encoded by sharp | bytes | samples differing from libjpeg-turbo |");
  console.log("|---|---|---|");
  for (const [w, h] of [[900, 900], [333, 217], [17, 9], [2, 5]] as const) {
    for (const sub of ["4:4:4", "4:2:0"] as const) {
      for (const progressive of [false, true]) {
        const jpg = await sharp(src).resize(w, h, { fit: "fill" }).jpeg({ quality: 85, progressive, chromaSubsampling: sub }).toBuffer();
        const ref = await sharp(jpg).raw().toBuffer();
        const ours = decodeJpegPixels(new Uint8Array(jpg), 2 ** 30).data;
        let diff = 0;
        for (let i = 0; i < ref.length; i++) if (ref[i] !== ours[i]) diff++;
        jpegMismatch += diff;
        console.log(`| ${w}x${h} ${sub}${progressive ? " progressive" : ""} | ${jpg.length} | ${diff} of ${ref.length} |`);
      }
    }
  }
} catch (err) {
  console.log(`\n(sharp not available, libjpeg-turbo comparison skipped: ${(err as Error).message})`);
}

const ok = worst <= 0.02 && maskMismatch === 0 && jpegMismatch === 0;
console.log(`\nworst max abs diff ${worst.toExponential(3)} (target <= 0.02); mask mismatches ${maskMismatch}; JPEG samples differing from libjpeg-turbo ${jpegMismatch} -> ${ok ? "PASS" : "FAIL"}`);
process.exit(ok ? 0 : 1);
