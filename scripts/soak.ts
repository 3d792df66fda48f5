// CLI: memory soak of the real service (npm start): N zero-shot scores at concurrency C, the worker isolate's memory
// (JS heap + ArrayBuffer backing stores + its wasm memory) every --sample-every requests, a line per 500, a JSON line.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { startService } from "../src/bench/service-process";
import { runSoak } from "../src/bench/soak-run";

const usage =
  "usage: npm run soak -- [--requests N | --seconds S] [--concurrency C] [--sample-every K] [--warmup N] [--model models/NAME] [--image FILE.png] [--json]";
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "5000" },
    seconds: { type: "string" },
    concurrency: { type: "string", default: "1" },
    "sample-every": { type: "string", default: "50" },
    "report-every": { type: "string", default: "500" },
    warmup: { type: "string", default: "0" },
    model: { type: "string" },
    image: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const [requests, concurrency, sampleEvery, reportEvery] = [values.requests, values.concurrency, values["sample-every"], values["report-every"]].map(Number);
const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
const warmup = Number(values.warmup);
if (
  ![requests, concurrency, sampleEvery, reportEvery].every((n) => Number.isInteger(n) && n! > 0) ||
  (seconds !== undefined && !(seconds > 0)) ||
  !(Number.isInteger(warmup) && warmup >= 0)
) {
  console.error(usage);
  process.exit(2);
}
// The first and the last fifth of the requests (at most 1,000 each) are compared: each needs samples.
if (seconds === undefined && sampleEvery > Math.floor(requests / 5)) {
  console.error(`--sample-every ${sampleEvery} leaves the first fifth of ${requests} requests unsampled: use at most ${Math.max(1, Math.floor(requests / 5))}`);
  process.exit(2);
}

const inputs = values.image ? { image: new Uint8Array(readFileSync(values.image)), object: "bottle", source: values.image } : loadBenchInputs(0);
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
const date = new Date().toISOString();
console.log(
  `soak ${date} commit ${commit}: ${seconds ? `${seconds} s` : `${requests} requests`} at concurrency ${concurrency}, ${values.json ? "JSON (base64)" : "multipart"} uploads; ${inputs.source}`,
);
// Measured through workerd's own inspector (see soak-run.ts): no wrangler inspector proxy, no dev registry.
const service = await startService({
  timeoutMs: 600_000,
  tempPrefix: "edge-anomaly-soak-",
  inspectorProxy: false,
  devRegistry: false,
  ...(values.model ? { bundleDir: values.model } : {}),
});
try {
  const result = await runSoak(service, {
    requests: requests!,
    concurrency: concurrency!,
    ...(seconds !== undefined ? { seconds } : {}),
    sampleEvery: sampleEvery!,
    reportEvery: reportEvery!,
    image: inputs.image,
    object: inputs.object,
    body: values.json ? "json" : "multipart",
    timeoutMs: 120_000,
    print: (line) => console.log(line),
    warmup,
  });
  console.log(
    `isolate peak: first ${result.window} requests ${result.first_peak_mb} MB, last ${result.window} ${result.last_peak_mb} MB (x${result.last_over_first}), ` +
      `overall ${result.peak_mb} MB: ${result.flat ? "flat" : "NOT flat"}, ${result.below_limit ? "below" : "NOT below"} ${result.limit_mb} MB; ` +
      `${result.ok} x 200 (p50 ${result.latency_ms.p50} ms, p95 ${result.latency_ms.p95} ms), ${result.overloaded} x 503 overloaded, ${result.non_200} other`,
  );
  console.log(JSON.stringify({ soak: { date, commit, image: inputs.source, ...result } }));
  process.exitCode = result.flat && result.below_limit && result.non_200 === 0 ? 0 : 1;
} catch (e) {
  console.error(`${(e as Error).message}\n--- service output (last lines) ---\n${service.log()}`);
  process.exitCode = 1;
} finally {
  await service.stop();
}
