// Lists an MVTec-AD layout folder (Node): OBJECT/train/good, OBJECT/test/DEFECT and OBJECT/ground_truth/DEFECT masks.
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";

export interface DatasetImage {
  object: string;
  /** "good" or the defect folder name. */
  defect: string;
  image: string;
  /** The ground-truth mask file; null for good images (all-zero mask). */
  mask: string | null;
}

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg"]);
const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
const images = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(dir, f));

/** The object folders under `dir`: `dir` itself when it has train/ or test/, else its subfolders that do. */
export function findObjects(dir: string): { name: string; dir: string }[] {
  if (!isDir(dir)) throw new Error(`${dir} is not a folder`);
  const isObject = (d: string) => isDir(join(d, "test")) || isDir(join(d, "train"));
  if (isObject(dir)) return [{ name: basename(dir), dir }];
  const found = readdirSync(dir)
    .sort()
    .map((n) => ({ name: n, dir: join(dir, n) }))
    .filter((o) => isDir(o.dir) && isObject(o.dir));
  if (found.length === 0) throw new Error(`${dir} has no OBJECT/train or OBJECT/test folders (MVTec AD layout)`);
  return found;
}

/** Every test image with its mask (MVTec names masks ground_truth/DEFECT/NNN_mask.png). */
export function listTestImages(objectDir: string, object: string): DatasetImage[] {
  const testDir = join(objectDir, "test");
  if (!isDir(testDir)) return [];
  const out: DatasetImage[] = [];
  for (const defect of readdirSync(testDir).sort()) {
    if (!isDir(join(testDir, defect))) continue;
    for (const image of images(join(testDir, defect))) {
      if (defect === "good") {
        out.push({ object, defect, image, mask: null });
        continue;
      }
      const stem = basename(image, extname(image));
      const mask = [".png", extname(image)].map((e) => join(objectDir, "ground_truth", defect, `${stem}_mask${e}`)).find(existsSync);
      if (!mask) throw new Error(`no ground-truth mask for ${image} (looked for ground_truth/${defect}/${stem}_mask.png)`);
      out.push({ object, defect, image, mask });
    }
  }
  return out;
}

/** The normal training images, OBJECT/train/good. */
export function listTrainGood(objectDir: string, object: string): DatasetImage[] {
  const dir = join(objectDir, "train", "good");
  return isDir(dir) ? images(dir).map((image) => ({ object, defect: "good", image, mask: null })) : [];
}
