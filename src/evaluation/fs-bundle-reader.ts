// A model bundle read from a local folder (models/NAME with manifest.json): the Node side of BundleReader.
import { open, readFile } from "node:fs/promises";
import { join, normalize, sep } from "node:path";
import type { BundleReader } from "../engine/runtime/model-bundle";

/** Reads bundle files relative to `dir`; paths escaping the folder are refused. */
export function fsBundleReader(dir: string): BundleReader {
  const root = normalize(dir);
  const inside = (path: string) => {
    const full = normalize(join(root, path));
    if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) throw new Error(`bundle path ${path} leaves ${dir}`);
    return full;
  };
  return {
    async read(path: string): Promise<Uint8Array> {
      return new Uint8Array(await readFile(inside(path)));
    },
    async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
      const file = await open(inside(path));
      try {
        const bytes = new Uint8Array(length);
        const { bytesRead } = await file.read(bytes, 0, length, offset);
        return bytes.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    },
  };
}
