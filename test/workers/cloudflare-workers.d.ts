// The slice of "cloudflare:workers" the workerd tests use, typed for this repo's DOM-lib tsconfig.
declare module "cloudflare:workers" {
  type WorkerEnv = import("../../src/platform/env").Env;
  interface Fetcher {
    fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  }
  /** The main worker's bindings, plus the Node-side test file server and webhook receiver log of vitest.workers.config.ts. */
  export const env: WorkerEnv & { TEST_FILES: Fetcher; WEBHOOK_RECEIVER: Fetcher };
  /** The main worker's exports: `exports.default.fetch` sends a request through src/worker.ts. */
  export const exports: { default: Fetcher };
}
