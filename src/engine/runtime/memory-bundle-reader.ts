// A bundle held in memory (a compiler's output): the BundleReader for tools that compile and run in one process.
import type { BundleReader } from "./model-bundle";

export function memoryBundleReader(files: Record<string, Uint8Array>, manifest: unknown): BundleReader {
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    async read(path) {
      if (path === "manifest.json") return manifestBytes;
      const f = files[path];
      if (!f) throw new Error(`no file ${path}`);
      return f;
    },
  };
}
