// Finds objects, shots and test images (with their masks) in an MVTec-AD layout folder.
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";

export interface TestImage {
  path: string;
  /** The test sub-folder: "good" or the defect type. */
  defect: string;
  anomalous: boolean;
  /** ground_truth/DEFECT/STEM_mask.png; null for good images. */
  mask: string | null;
}

export interface ObjectFolder {
  name: string;
  dir: string;
  /** train/good images, sorted by file name. */
  train: string[];
  /** test/DEFECT images, defects sorted, files sorted. */
  test: TestImage[];
}

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg", ".bmp"]);

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function imagesIn(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()) && !f.startsWith("."))
    .sort()
    .map((f) => join(dir, f));
}

function subdirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => !d.startsWith(".") && isDir(join(dir, d)))
    .sort();
}

function findMask(objectDir: string, defect: string, image: string): string | null {
  const stem = basename(image, extname(image));
  for (const name of [`${stem}_mask.png`, `${stem}.png`, `${stem}_mask.jpg`]) {
    const p = join(objectDir, "ground_truth", defect, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** One object folder: OBJECT/train/good, OBJECT/test/DEFECT, OBJECT/ground_truth/DEFECT/STEM_mask.png. */
export function scanObject(dir: string, name = basename(dir)): ObjectFolder {
  const testDir = join(dir, "test");
  if (!isDir(testDir)) throw new Error(`${dir} is not an object folder: it has no test/ folder`);
  const test: TestImage[] = [];
  const missing: string[] = [];
  for (const defect of subdirs(testDir)) {
    for (const path of imagesIn(join(testDir, defect))) {
      const anomalous = defect !== "good";
      const mask = anomalous ? findMask(dir, defect, path) : null;
      if (anomalous && !mask) missing.push(join(defect, basename(path)));
      test.push({ path, defect, anomalous, mask });
    }
  }
  if (missing.length) {
    throw new Error(`${name}: ${missing.length} defect image(s) without ground_truth mask, e.g. ${missing.slice(0, 3).join(", ")}`);
  }
  if (test.length === 0) throw new Error(`${name}: no test images under ${testDir}`);
  return { name, dir, train: imagesIn(join(dir, "train", "good")), test };
}

/**
 * The objects to evaluate: DATA/NAME for each name given; without names, DATA itself if it is an object
 * folder, else every sub-folder of DATA that has a test/ folder.
 */
export function resolveObjects(dataDir: string, names: readonly string[] = []): ObjectFolder[] {
  if (!isDir(dataDir)) throw new Error(`--data ${dataDir} is not a folder`);
  if (names.length) return names.map((n) => scanObject(join(dataDir, n), n));
  if (isDir(join(dataDir, "test"))) return [scanObject(dataDir)];
  const found = subdirs(dataDir).filter((d) => isDir(join(dataDir, d, "test")));
  if (found.length === 0) throw new Error(`no object folders (with a test/ folder) in ${dataDir}`);
  return found.map((d) => scanObject(join(dataDir, d), d));
}

/** `limit` images spread evenly over the (defect-sorted) list so every defect type keeps a share. */
export function spreadSubset<T>(items: readonly T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return items.slice();
  if (!(limit > 0)) return [];
  return Array.from({ length: limit }, (_, i) => items[Math.floor((i * items.length) / limit)]!);
}

/** k distinct items drawn by a seeded generator (mulberry32 + partial Fisher-Yates), in draw order. */
export function drawShots<T>(items: readonly T[], k: number, seed: number): T[] {
  if (k > items.length) throw new Error(`cannot draw ${k} shots from ${items.length} train/good images`);
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pool = items.slice();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}
