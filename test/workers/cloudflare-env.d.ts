// What `env` and `exports` of "cloudflare:workers" hold inside the workerd tests: the worker's bindings, the Node-side
// test file server and webhook receiver of vitest.workers.config.ts, and the main worker's default export.
type WorkerBindings = import("../../src/platform/env").Env;

interface TestServices {
  TEST_FILES: Fetcher;
  WEBHOOK_RECEIVER: Fetcher;
}

declare namespace Cloudflare {
  interface Env extends WorkerBindings, TestServices {}
  interface Exports {
    default: Fetcher;
  }
}
