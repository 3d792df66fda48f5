// Recomputes the oracle's maps and scores from its golden intermediate arrays with src/engine/anomaly; prints max abs errors.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fewShotDistancesReference } from "../test/helpers/few-shot-reference";
import { combineMaps, fewShotMap, mapMax } from "../src/engine/anomaly/few-shot";
import { zeroShotMap, zeroShotScore } from "../src/engine/anomaly/zero-shot";

interface Manifest {
  params: { image_size: number; patch: number; features: number[]; few_shot_features: number[] };
  cases: { class: string; zero_shot_score: number; few_shot_max: number; combined_max: number }[];
  arrays: Record<string, { file: string; dtype: string; shape: number[] }>;
}

const TOLERANCE = 1e-4;
const root = process.argv[2] ?? "/work/shared/oracle";

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function loader(dir: string, manifest: Manifest) {
  return {
    has: (name: string): boolean => name in manifest.arrays,
    f32: (name: string): Float32Array => {
      const entry = manifest.arrays[name];
      if (!entry || entry.dtype !== "float32") throw new Error(`${dir}: no float32 array ${name}`);
      const bytes = readFileSync(join(dir, entry.file));
      const out = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    },
  };
}

const fmt = (v: number | null): string => (v === null ? "n/a" : v.toExponential(2));
const rows: string[][] = [];
let worst = 0;
const notes: string[] = [];

for (const oracle of readdirSync(root).sort()) {
  const dir = join(root, oracle, "golden");
  if (!existsSync(join(dir, "manifest.json"))) continue;
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  const { image_size: size, patch, features, few_shot_features: fewLayers } = manifest.params;
  const grid = size / patch;
  const a = loader(dir, manifest);
  manifest.cases.forEach((c, n) => {
    const text = a.f32(`text_features/${c.class}`);
    const zsScore = zeroShotScore(a.f32(`case${n}/image_features`), text);
    const zsMap = zeroShotMap(features.map((l) => a.f32(`case${n}/projected/layer${l}`)), text, grid, size);
    const goldenFew = a.f32(`case${n}/few_shot_map`);
    const goldenCombined = a.f32(`case${n}/combined_map`);
    const missing = fewLayers.filter((l) => !a.has(`case${n}/tokens/layer${l}`));
    let fewErr: number | null = null;
    let fewMaxErr: number | null = null;
    let combined: Float32Array;
    if (missing.length === 0) {
      const distances = fewLayers.map((l) => {
        const tokens = a.f32(`case${n}/tokens/layer${l}`);
        const memory = a.f32(`memory/${c.class}/layer${l}`);
        const width = manifest.arrays[`memory/${c.class}/layer${l}`]!.shape[1]!;
        return fewShotDistancesReference(tokens.subarray(width), memory, width);
      });
      const few = fewShotMap(distances, grid, size);
      fewErr = maxAbsDiff(few, goldenFew);
      fewMaxErr = Math.abs(mapMax(few) - c.few_shot_max);
      combined = combineMaps(zsMap, few);
    } else {
      if (n === 0) notes.push(`${oracle}: golden has no case tokens for few-shot layer(s) ${missing.join(", ")}; combined = our zero-shot map + golden few-shot map`);
      combined = combineMaps(zsMap, goldenFew);
    }
    const errs = {
      zsScore: Math.abs(zsScore - c.zero_shot_score),
      zsMap: maxAbsDiff(zsMap, a.f32(`case${n}/zero_shot_map`)),
      fewMap: fewErr,
      fewMax: fewMaxErr,
      combined: maxAbsDiff(combined, goldenCombined),
      combinedMax: Math.abs(mapMax(combined) - c.combined_max),
    };
    for (const v of Object.values(errs)) if (v !== null) worst = Math.max(worst, v);
    rows.push([oracle, `case${n}`, c.class, ...Object.values(errs).map(fmt)]);
  });
}

const header = ["oracle", "case", "class", "zs_score", "zs_map", "few_map", "few_max", "combined_map", "combined_max"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => `| ${r.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
for (const note of notes) console.log(`note: ${note}`);
console.log(`worst max abs error ${worst.toExponential(2)} (tolerance ${TOLERANCE}) -> ${worst <= TOLERANCE ? "PASS" : "FAIL"}`);
process.exitCode = worst <= TOLERANCE ? 0 : 1;
