// Node side of the workerd tests: where the seeded model bundles and the oracle case live (read by the vitest config).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * ORACLE_SERVICE=1 (npm run test:parity): serve the oracle's tiny-gelu-224 model, compiled from ../shared by the
 * global setup, and run only test/workers-parity.
 */
export const oracleMode = process.env.ORACLE_SERVICE === "1";
/** STAGE_WORKERS=1 (the last step of `npm test`): the staged-bundle suite with its stage Workers (test/workers/stage-workers.ts). */
export const stageMode = process.env.STAGE_WORKERS === "1" && !oracleMode;
export const oracleCaseDir = resolve(repoRoot, "../shared/oracle/tiny-gelu-224");
const oracleBundleDir = resolve(repoRoot, "node_modules/.cache/edge-anomaly/oracle-tiny-gelu-224");
/** Oracle mode: the same model compiled int8-dynamic, served with ENGINE=wasm (test/workers-parity/oracle-engine.test.ts). */
export const oracleInt8BundleDir = resolve(repoRoot, "node_modules/.cache/edge-anomaly/oracle-tiny-gelu-224-int8");

/** The served bundle: MODEL_BUNDLE_DIR, the oracle's model in oracle mode, else the demo bundle (built on demand). */
export const bundleDir = resolve(repoRoot, process.env.MODEL_BUNDLE_DIR ?? (oracleMode ? oracleBundleDir : "models/demo"));
/** A second demo bundle (another seed, so another model hash) for the re-embedding tests; always generated. */
export const secondBundleDir = resolve(repoRoot, "node_modules/.cache/edge-anomaly/demo-seed1");
/**
 * Parity case: an oracle golden folder whose cases[n] image and zero-shot score a test compares with, used when the
 * bundle is not random. Default: ../shared beside the checkout, as CI clones it. GOLDEN_DIR=none: off.
 */
export const goldenDir = resolve(repoRoot, process.env.GOLDEN_DIR ?? join(oracleCaseDir, "golden"));
