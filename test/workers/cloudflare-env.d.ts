// What `env` and `exports` of "cloudflare:workers" hold inside the workerd tests: the worker's bindings, the Node-side
// test file server and webhook receiver of vitest.workers.config.ts, and the main worker's default export.
type WorkerBindings = import("../../src/platform/env").Env;

interface TestServices {
  TEST_FILES: Fetcher;
  WEBHOOK_RECEIVER: Fetcher;
  /** Stage i of the demo in K stages (test/workers/stage-workers.ts): STAGED<K>_STAGE_<i>. */
  [stage: `STAGED${number}_STAGE_${number}`]: import("../../src/platform/stage-wire").ImageStageRpc;
}

declare namespace Cloudflare {
  interface Env extends WorkerBindings, TestServices {}
  interface Exports {
    default: Fetcher;
  }
}
