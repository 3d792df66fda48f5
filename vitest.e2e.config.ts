// End-to-end tests: the real service (npm start) driven by headless Chromium (playwright-core + /usr/bin/chromium).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    // One service and one browser per file; files share nothing, but two wrangler dev servers at once buy little.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
