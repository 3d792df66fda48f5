import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileKernels, KERNEL_MODULES } from "../../../../src/tools/wasm-kernels-build";

describe("committed wasm kernels", () => {
  it("are what the AssemblyScript sources compile to (npm run build:kernels rewrites them)", async () => {
    const built = await compileKernels();
    expect(Object.keys(built)).toHaveLength(KERNEL_MODULES.length);
    for (const [path, bytes] of Object.entries(built)) {
      expect(Buffer.from(readFileSync(path)).equals(Buffer.from(bytes)), `${path} is stale: run npm run build:kernels`).toBe(true);
    }
  });
});
