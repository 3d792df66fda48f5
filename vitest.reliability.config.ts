// Reliability suite: hostile clients, bursts, crashes and a memory soak against the real service (npm start).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    environment: "node",
    // Each file runs its own service; two wrangler dev servers at once on two cores would distort every figure.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 240_000,
    globalSetup: ["test/reliability/report-setup.ts"],
  },
});
