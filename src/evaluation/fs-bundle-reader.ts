// A model bundle read from a local folder (models/NAME with manifest.json): the Node side of BundleReader.
import { readFile } from "node:fs/promises";
import { join, normalize, sep } from "node:path";
import type { BundleReader } from "../engine/runtime/model-bundle";

/** Reads bundle files relative to `dir`; paths escaping the folder are refused. */
export function fsBundleReader(dir: string): BundleReader {
  const root = normalize(dir);
  return {
    async read(path: string): Promise<Uint8Array> {
      const full = normalize(join(root, path));
      if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) throw new Error(`bundle path ${path} leaves ${dir}`);
      return new Uint8Array(await readFile(full));
    },
  };
}
