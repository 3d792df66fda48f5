// What holds each Worker isolate's backing stores: starts the service with a bundle, makes a zero-shot score, a K-shot
// reference set and a few-shot score while sampling every isolate (as the bench does, src/bench/worker-isolates.ts),
// then per isolate: a sample, the live ArrayBuffers of at least 1 MiB after a garbage collection, and a sample after it.
// Sizes in MiB.
import { parseArgs } from "node:util";
import { loadBenchInputs } from "../src/bench/bench-inputs";
import { longFetch } from "../src/bench/long-fetch";
import { withService } from "../src/bench/service-process";
import { sampleIsolates, withWorkerIsolates } from "../src/bench/worker-isolates";

const { values } = parseArgs({ options: { model: { type: "string" }, shots: { type: "string", default: "4" }, json: { type: "boolean" } } });
if (!values.model) {
  console.error("usage: npx tsx scripts/isolate-buffers.ts --model DIR [--shots K] [--json]");
  process.exit(2);
}
const k = Number(values.shots);
const inputs = loadBenchInputs(k);
const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const png = (bytes: Uint8Array, name: string) => new File([new Uint8Array(bytes)], name, { type: "image/png" });

const result = await withService(
  { timeoutMs: 3_600_000, bundleDir: values.model, tempPrefix: "edge-anomaly-buffers-", devRegistry: false },
  async (service) => {
    const post = async (path: string, form: FormData) => {
      const response = await longFetch(`${service.baseUrl}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${service.apiKey}` },
        body: form,
        signal: AbortSignal.timeout(3_600_000),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text) as { id?: string };
    };
    const score = (referenceSet?: string) => {
      const form = new FormData();
      form.set("object", inputs.object);
      form.set("image", png(inputs.image, "query.png"));
      if (referenceSet) form.set("referenceSet", referenceSet);
      return post("/v1/score", form);
    };
    const setForm = new FormData();
    setForm.set("object", inputs.object);
    for (const [i, s] of inputs.shots.slice(0, k).entries()) setForm.append("images", png(s, `shot-${i}.png`));
    // Warm-up (every stage loads) before the sessions open, as the bench does.
    await score();
    return withWorkerIsolates(service.pgid, async (isolates) => {
      const sampler = sampleIsolates(isolates, 100);
      const started = performance.now();
      const set = await post("/v1/reference-sets", setForm);
      const setMs = performance.now() - started;
      await score(set.id);
      await score();
      const peaks = await sampler.stop();
      const after = [];
      for (const isolate of isolates) {
        const before = await isolate.sample();
        const buffers = await isolate.liveArrayBuffers(2 ** 20);
        const collected = await isolate.sample();
        after.push({
          name: isolate.name,
          backing_before_gc_mb: mb(before.backingStorageSize),
          live_buffers_mb: buffers.map(mb),
          backing_after_gc_mb: mb(collected.backingStorageSize),
          total_after_gc_mb: mb(collected.total),
        });
      }
      return { model: values.model, shots: k, reference_set_ms: Math.round(setMs), peaks, after };
    });
  },
);
console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 1));
