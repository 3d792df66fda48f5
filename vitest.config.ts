import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // the engine's relaxed-SIMD kernels: shipped in Node 22's V8, behind this flag in Node 20's
          execArgv: process.versions.node.startsWith("20.") ? ["--experimental-wasm-relaxed-simd"] : [],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "parity",
          include: ["test/parity/**/*.test.ts"],
          environment: "node",
          // the oracle cases also run through the engine's relaxed-SIMD kernel
          execArgv: process.versions.node.startsWith("20.") ? ["--experimental-wasm-relaxed-simd"] : [],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
